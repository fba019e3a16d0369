using System.Globalization;

namespace StageStream.Core.Projects;

/// <summary>
/// What a name or a text may hold. A name is one line: no control characters (NUL, ANSI escapes, line breaks) and
/// no bidirectional controls, which make <c>RTL \u202Egnp.exe</c> display as <c>RTL exe.png</c>. A text (a story,
/// a narration) keeps its line breaks and tabs but refuses the rest.
/// </summary>
public static class TextRules
{
    /// <exception cref="InvalidInputException">The name holds a character it may not.</exception>
    public static void CheckName(string field, string? value) => Check(field, value, allowLayout: false);

    /// <exception cref="InvalidInputException">The text holds a control character other than a line break or tab, or a bidirectional control.</exception>
    public static void CheckText(string field, string? value) => Check(field, value, allowLayout: true);

    private static void Check(string field, string? value, bool allowLayout)
    {
        if (value is null)
        {
            return;
        }
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (allowLayout && c is '\n' or '\r' or '\t')
            {
                continue;
            }
            if (char.IsControl(c) || IsBidiControl(c))
            {
                throw new InvalidInputException("Invalid character",
                    $"'{field}' holds the invisible character U+{(int)c:X4} ({Describe(c)}) at position {i + 1}; " +
                    (allowLayout ? "only line breaks and tabs are allowed among control characters." : "a name may hold no control or text-direction characters."))
                    { Code = "invalid_character", Args = [i + 1] };
            }
        }
    }

    /// <summary>The embeddings, overrides and isolates (U+202A-202E, U+2066-2069) and the direction marks (LRM, RLM, ALM).</summary>
    public static bool IsBidiControl(char c) => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C';

    private static string Describe(char c) => c switch
    {
        '\0' => "NUL",
        '\u001B' => "escape",
        _ when IsBidiControl(c) => "a text-direction control",
        _ => CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Control ? "a control character" : "a format character",
    };
}
