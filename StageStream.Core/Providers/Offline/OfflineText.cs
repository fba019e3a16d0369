using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// Script-aware text helpers of the offline text providers: Chinese and English differ in punctuation width,
/// spacing, sentence ends and reading speed, so every rule here asks which one it is working on.
/// </summary>
internal static partial class OfflineText
{
    /// <summary>Narration speed used to time shots: about 150 English words or 270 Chinese characters a minute.</summary>
    public const double WordsPerSecond = 2.5;
    public const double CjkCharsPerSecond = 4.5;

    private const string CjkPunctuation = "，。！？；：、（）《》〈〉「」『』“”‘’…—【】·～";
    private const string Closers = "”’\"'」』）)】]》〉";
    private const string EnglishTerminators = ".!?…";
    private const string ChineseTerminators = "。！？…";

    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "vs", "etc", "e.g", "i.e", "no", "mt", "capt", "a.m", "p.m", "col", "gen", "lt", "sgt",
    };

    public static bool IsCjk(char c) => c is (>= '\u4E00' and <= '\u9FFF') or (>= '\u3400' and <= '\u4DBF')
        or (>= '\uF900' and <= '\uFAFF') or (>= '\u3040' and <= '\u30FF') or (>= '\uAC00' and <= '\uD7AF');

    public static bool IsCjkPunctuation(char c) => CjkPunctuation.Contains(c);

    private static bool IsCjkOrPunctuation(char c) => IsCjk(c) || IsCjkPunctuation(c);

    public static bool ContainsCjk(string text) => text.Any(IsCjk);

    /// <summary>Chinese when CJK characters carry the text (a Chinese character says about as much as a short English word).</summary>
    public static bool IsChinese(string text)
    {
        int cjk = 0, latin = 0;
        foreach (var c in text)
        {
            if (IsCjk(c))
            {
                cjk++;
            }
            else if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z'))
            {
                latin++;
            }
        }
        return cjk > 0 && cjk * 3 >= latin;
    }

    /// <summary>The non-empty lines of the text with all kinds of whitespace collapsed to single spaces.</summary>
    public static List<string> Lines(string text)
    {
        var lines = new List<string>();
        foreach (var raw in text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n'))
        {
            var builder = new StringBuilder(raw.Length);
            foreach (var c in raw)
            {
                if (c is '\u200B' or '\u200C' or '\u200D' or '\uFEFF')
                {
                    continue;
                }
                if (char.IsWhiteSpace(c))
                {
                    if (builder.Length > 0 && builder[^1] != ' ')
                    {
                        builder.Append(' ');
                    }
                    continue;
                }
                builder.Append(c);
            }
            var line = builder.ToString().Trim();
            if (line.Length > 0)
            {
                lines.Add(line);
            }
        }
        return lines;
    }

    /// <summary>Full-width punctuation for Chinese, half-width for English, no stray spaces, no repeated marks.</summary>
    public static string Normalize(string line, bool chinese) => chinese ? NormalizeChinese(line) : NormalizeEnglish(line);

    private static string NormalizeEnglish(string line)
    {
        var builder = new StringBuilder(line.Length);
        foreach (var c in line)
        {
            builder.Append(c switch
            {
                >= '\uFF01' and <= '\uFF5E' => ((char)(c - 0xFEE0)).ToString(),
                '。' => ".",
                '、' => ",",
                '“' or '”' or '„' or '「' or '」' or '『' or '』' => "\"",
                '‘' or '’' => "'",
                '…' => "...",
                '【' => "[",
                '】' => "]",
                _ => c.ToString(),
            });
        }
        var s = builder.ToString();
        // "cliff .it had": a dot typed after a space and before a word ends a sentence.
        s = DetachedPeriod().Replace(s, ". ");
        s = SpaceBeforePunctuation().Replace(s, "$1");
        s = SpaceAfterOpening().Replace(s, "$1");
        s = RepeatedBang().Replace(s, "$1");
        s = RepeatedComma().Replace(s, "$1");
        s = LongDots().Replace(s, "...");
        s = DoubleDot().Replace(s, ".");
        s = MissingSpaceAfterPunctuation().Replace(s, "$1 ");
        s = MissingSpaceAfterPeriod().Replace(s, ". ");
        s = LowercaseI().Replace(s, "I");
        return MultipleSpaces().Replace(s, " ").Trim();
    }

    private static string NormalizeChinese(string line)
    {
        var builder = new StringBuilder(line.Length);
        foreach (var c in line)
        {
            // Full-width letters and digits read better half-width in Chinese text too.
            builder.Append(c is (>= '\uFF10' and <= '\uFF19') or (>= '\uFF21' and <= '\uFF3A') or (>= '\uFF41' and <= '\uFF5A')
                ? (char)(c - 0xFEE0) : c);
        }
        var s = ChineseEllipsis().Replace(builder.ToString(), "……");

        builder.Clear();
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            var previous = Neighbour(s, i, -1);
            var next = Neighbour(s, i, +1);
            if (c == ' ')
            {
                // Spaces between Chinese characters or around full-width punctuation are typing noise.
                var prev = i > 0 ? s[i - 1] : ' ';
                var following = i + 1 < s.Length ? s[i + 1] : ' ';
                if ((IsCjkOrPunctuation(prev) && IsCjkOrPunctuation(following)) || IsCjkPunctuation(prev) || IsCjkPunctuation(following)
                    || ",.!?;:)".Contains(following))
                {
                    continue;
                }
                builder.Append(c);
                continue;
            }
            var wide = c switch { ',' => '，', '.' => '。', '!' => '！', '?' => '？', ';' => '；', ':' => '：', '(' => '（', ')' => '）', _ => c };
            if (wide != c)
            {
                // Marks touching Chinese become full-width; those after Latin words ("Python.") and inside numbers stay.
                var chineseContext = IsCjkOrPunctuation(previous) || IsCjk(next)
                    || (c is '!' or '?' && previous != '\0' && !char.IsAsciiLetterOrDigit(previous));
                var number = c is '.' or ',' or ':' && char.IsAsciiDigit(previous) && char.IsAsciiDigit(next);
                if (chineseContext && !number)
                {
                    c = wide;
                }
            }
            builder.Append(c);
        }
        s = builder.ToString();
        s = ConvertStraightQuotes(s);
        s = RepeatedChinesePunctuation().Replace(s, "$1");
        return s.Trim();
    }

    /// <summary>The nearest non-space character before or after position <paramref name="i"/>, or '\0'.</summary>
    private static char Neighbour(string s, int i, int step)
    {
        for (var j = i + step; j >= 0 && j < s.Length; j += step)
        {
            if (s[j] != ' ')
            {
                return s[j];
            }
        }
        return '\0';
    }

    private static string ConvertStraightQuotes(string s)
    {
        if (!s.Contains('"'))
        {
            return s;
        }
        var builder = new StringBuilder(s.Length);
        var open = true;
        foreach (var c in s)
        {
            if (c == '"')
            {
                builder.Append(open ? '“' : '”');
                open = !open;
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    /// <summary>
    /// Splits a line into sentences, keeping each sentence's end marks and closing quotes with it.
    /// </summary>
    /// <param name="semicolons">Whether ; and ； end a sentence (a shot) or only a clause (rewriting).</param>
    public static List<string> SplitSentences(string line, bool semicolons)
    {
        var sentences = new List<string>();
        var start = 0;
        var i = 0;
        while (i < line.Length)
        {
            var ends = IsSentenceEnd(line, i, semicolons, out var end);
            if (ends)
            {
                AddTrimmed(sentences, line[start..end]);
                start = end;
            }
            // Past the whole run of marks and quotes, so "..." is judged once, not dot by dot.
            i = Math.Max(end, i + 1);
        }
        AddTrimmed(sentences, line[start..]);
        return sentences;

        static void AddTrimmed(List<string> list, string sentence)
        {
            sentence = sentence.Trim();
            if (sentence.Length > 0)
            {
                list.Add(sentence);
            }
        }
    }

    private static bool IsSentenceEnd(string s, int i, bool semicolons, out int end)
    {
        end = i + 1;
        var c = s[i];
        var semicolon = c is ';' or '；';
        if (!(EnglishTerminators.Contains(c) || ChineseTerminators.Contains(c) || (semicolons && semicolon)))
        {
            return false;
        }
        if (c == '.')
        {
            var previous = i > 0 ? s[i - 1] : '\0';
            var next = i + 1 < s.Length ? s[i + 1] : '\0';
            // 3.5, example.com, U.S.A: a dot inside a word does not end a sentence.
            if (char.IsLetterOrDigit(next) && !IsCjk(next))
            {
                return false;
            }
            if (previous != '.' && Abbreviations.Contains(WordBefore(s, i)))
            {
                return false;
            }
        }
        var j = i + 1;
        while (j < s.Length && (EnglishTerminators.Contains(s[j]) || ChineseTerminators.Contains(s[j]) || (semicolons && s[j] is ';' or '；')))
        {
            j++;
        }
        while (j < s.Length && Closers.Contains(s[j]))
        {
            // A straight quote right before a word opens the next quotation; it is not this one's end.
            if (s[j] is '"' or '\'' && j + 1 < s.Length && char.IsLetterOrDigit(s[j + 1]))
            {
                break;
            }
            j++;
        }
        end = j;
        if (semicolon || ChineseTerminators.Contains(c))
        {
            return true;
        }
        // "Stop!" he said. / Wait... then: after a quotation or a trailing-off, lower case means the sentence goes on.
        var quoted = j > i + 1 && Closers.Contains(s[j - 1]);
        var marks = s[i..j];
        var trailing = marks.Contains('…') || marks.Contains("..", StringComparison.Ordinal);
        if (!quoted && !trailing)
        {
            return true;
        }
        var k = j;
        while (k < s.Length && s[k] == ' ')
        {
            k++;
        }
        return k >= s.Length || !char.IsLower(s[k]);
    }

    private static string WordBefore(string s, int i)
    {
        var j = i;
        while (j > 0 && (char.IsLetter(s[j - 1]) || s[j - 1] == '.'))
        {
            j--;
        }
        return s[j..i];
    }

    /// <summary>Whether the sentence already ends with an end mark (closing quotes aside).</summary>
    public static bool HasEndMark(string sentence)
    {
        var trimmed = sentence.TrimEnd(Closers.ToCharArray());
        return trimmed.Length > 0 && (EnglishTerminators.Contains(trimmed[^1]) || ChineseTerminators.Contains(trimmed[^1]) || trimmed[^1] is ';' or '；');
    }

    /// <summary>Roughly how long the text takes to read aloud.</summary>
    public static double ReadingSeconds(string text)
    {
        int cjk = 0, words = 0;
        var inWord = false;
        foreach (var c in text)
        {
            if (IsCjk(c))
            {
                cjk++;
                inWord = false;
            }
            else if (char.IsLetterOrDigit(c) || (inWord && c is '\'' or '-'))
            {
                if (!inWord)
                {
                    words++;
                }
                inWord = true;
            }
            else
            {
                inWord = false;
            }
        }
        return cjk / CjkCharsPerSecond + words / WordsPerSecond;
    }

    /// <summary>What identifies a sentence regardless of case, spacing and punctuation.</summary>
    public static string Key(string sentence) =>
        new(sentence.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    /// <summary>Joins pieces of one script: Chinese without spaces, English with one.</summary>
    public static string Join(bool chinese, IEnumerable<string> parts) => string.Join(chinese ? "" : " ", parts);

    /// <summary>The first matching term: English terms as whole words or phrases, Chinese ones as substrings.</summary>
    public static string? FindTerm(string text, IEnumerable<string> terms)
    {
        var padded = " " + NonWord().Replace(text.ToLowerInvariant(), " ") + " ";
        foreach (var term in terms)
        {
            if (ContainsCjk(term) ? text.Contains(term, StringComparison.Ordinal) : padded.Contains(" " + term + " ", StringComparison.Ordinal))
            {
                return term;
            }
        }
        return null;
    }

    /// <summary>A stable hash (string.GetHashCode differs between runs, and frames must not).</summary>
    public static uint StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619u;
        }
        return hash;
    }

    /// <summary>The text elements (user-perceived characters) of a string, so surrogate pairs stay whole.</summary>
    public static IEnumerable<string> Elements(string text)
    {
        var enumerator = StringInfo.GetTextElementEnumerator(text);
        while (enumerator.MoveNext())
        {
            yield return enumerator.GetTextElement();
        }
    }

    [GeneratedRegex(@"\s+\.(?=[A-Za-z])")]
    private static partial Regex DetachedPeriod();
    [GeneratedRegex(@"\s+([,.;:!?%)\]])")]
    private static partial Regex SpaceBeforePunctuation();
    [GeneratedRegex(@"([(\[])\s+")]
    private static partial Regex SpaceAfterOpening();
    [GeneratedRegex(@"([!?])\1+")]
    private static partial Regex RepeatedBang();
    [GeneratedRegex(@"([,;:])\1+")]
    private static partial Regex RepeatedComma();
    [GeneratedRegex(@"\.{4,}")]
    private static partial Regex LongDots();
    [GeneratedRegex(@"(?<!\.)\.\.(?!\.)")]
    private static partial Regex DoubleDot();
    [GeneratedRegex(@"([,;:!?])(?=[A-Za-z])")]
    private static partial Regex MissingSpaceAfterPunctuation();
    [GeneratedRegex(@"(?<=[a-z]{2})\.(?=[A-Z][a-z])")]
    private static partial Regex MissingSpaceAfterPeriod();
    [GeneratedRegex(@"(?<![\w.'’-])i(?=\s|'|’|,|;|:|!|\?|$)")]
    private static partial Regex LowercaseI();
    [GeneratedRegex(" {2,}")]
    private static partial Regex MultipleSpaces();
    [GeneratedRegex(@"\.{3,}|。{3,}|…+")]
    private static partial Regex ChineseEllipsis();
    [GeneratedRegex("([，。！？；：、])\\1+")]
    private static partial Regex RepeatedChinesePunctuation();
    [GeneratedRegex(@"[^\p{L}\p{N}']+")]
    private static partial Regex NonWord();

    /// <summary>Words with their trailing space, and single CJK characters (each a place a line may break).</summary>
    public static IEnumerable<string> BreakUnits(string text)
    {
        var word = new StringBuilder();
        foreach (var element in Elements(text))
        {
            var c = element[0];
            if (char.IsWhiteSpace(c))
            {
                word.Append(' ');
                yield return word.ToString();
                word.Clear();
            }
            else if (IsCjk(c) || IsCjkPunctuation(c))
            {
                if (word.Length > 0)
                {
                    yield return word.ToString();
                    word.Clear();
                }
                yield return element;
            }
            else
            {
                word.Append(element);
            }
        }
        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }
}
