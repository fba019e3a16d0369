using System.Text;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>
/// Removes <c>&lt;think&gt;...&lt;/think&gt;</c> reasoning from a streamed answer as it streams: text goes out as
/// soon as it cannot be part of a tag, so only a possible tag start (at most 7 characters) is ever held back.
/// </summary>
public sealed class ThinkFilter
{
    private const string Open = "<think>";
    private const string Close = "</think>";

    private readonly StringBuilder _pending = new();
    private bool _inside;

    // The blank lines around a think block separate it from the answer; they are not the answer's.
    private bool _atAnswerStart = true;

    /// <summary>Takes the next chunk and returns what of the answer can be passed on now (maybe empty).</summary>
    public string Push(string chunk)
    {
        _pending.Append(chunk);
        var output = new StringBuilder();
        while (true)
        {
            var text = _pending.ToString();
            var tag = _inside ? Close : Open;
            var at = text.IndexOf(tag, StringComparison.Ordinal);
            if (at >= 0)
            {
                if (!_inside)
                {
                    Emit(output, text[..at]);
                }
                _pending.Remove(0, at + tag.Length);
                _inside = !_inside;
                _atAnswerStart |= !_inside;
                continue;
            }
            var keep = TagStartAtEnd(text, tag);
            if (!_inside)
            {
                Emit(output, text[..^keep]);
            }
            _pending.Remove(0, text.Length - keep);
            return output.ToString();
        }
    }

    /// <summary>The end of the stream: what was held back is answer, unless it is inside an unclosed think block.</summary>
    public string Flush()
    {
        var output = new StringBuilder();
        if (!_inside)
        {
            Emit(output, _pending.ToString());
        }
        _pending.Clear();
        return output.ToString();
    }

    /// <summary>Removes think blocks from a whole answer.</summary>
    public static string Strip(string text)
    {
        var filter = new ThinkFilter();
        return filter.Push(text) + filter.Flush();
    }

    private void Emit(StringBuilder output, string text)
    {
        if (_atAnswerStart)
        {
            text = text.TrimStart();
            _atAnswerStart = text.Length == 0;
        }
        output.Append(text);
    }

    /// <summary>How many characters at the end of <paramref name="text"/> could be the start of <paramref name="tag"/>.</summary>
    private static int TagStartAtEnd(string text, string tag)
    {
        for (var length = Math.Min(tag.Length - 1, text.Length); length > 0; length--)
        {
            if (text.AsSpan(text.Length - length).SequenceEqual(tag.AsSpan(0, length)))
            {
                return length;
            }
        }
        return 0;
    }
}
