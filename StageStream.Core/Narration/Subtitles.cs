using System.Globalization;
using System.Text;
using StageStream.Core.Providers.Offline;

namespace StageStream.Core.Narration;

/// <summary>One subtitle: its lines, shown from <see cref="Start"/> to <see cref="End"/> (seconds into the film).</summary>
public sealed record Cue(double Start, double End, IReadOnlyList<string> Lines);

/// <summary>A shot's narration and where its speech lies in the film.</summary>
public sealed record SpokenShot(string Narration, double SpeechStart, double SpeechSeconds);

/// <summary>
/// The film's subtitles: each shot's narration broken into lines that fit the film's width (Chinese between
/// characters, English between words), two lines a cue, timed over the shot's speech by their length;
/// written as SubRip and WebVTT.
/// </summary>
public static class Subtitles
{
    /// <summary>Closing marks that must not begin a line.</summary>
    private const string NoLineStart = "，。！？；：、）》」』”’…,.!?;:)]";

    private const string BreakAfter = "，。！？；：、,.!?;:—";

    /// <summary>Subtitle text height as a share of the frame's shorter side (also what burned-in subtitles use).</summary>
    public const double FontShare = 0.055;

    /// <summary>How many em (a CJK character's width; Latin letters are about half) fit on a line of a film this size.</summary>
    public static double LineCapacity(int width, int height) => Math.Max(8, 0.9 * width / Math.Max(1, FontShare * Math.Min(width, height)));

    public static IReadOnlyList<Cue> Build(IEnumerable<SpokenShot> shots, int width, int height)
    {
        var capacity = LineCapacity(width, height);
        var cues = new List<Cue>();
        foreach (var shot in shots)
        {
            var lines = BreakLines(shot.Narration, capacity);
            if (lines.Count == 0 || shot.SpeechSeconds <= 0)
            {
                continue;
            }
            var groups = lines.Chunk(2).Select(g => (IReadOnlyList<string>)g.ToList()).ToList();
            var weights = groups.Select(g => Math.Max(1, g.Sum(Ems))).ToList();
            var total = weights.Sum();
            var start = shot.SpeechStart;
            for (var i = 0; i < groups.Count; i++)
            {
                var end = i == groups.Count - 1 ? shot.SpeechStart + shot.SpeechSeconds : start + shot.SpeechSeconds * weights[i] / total;
                cues.Add(new Cue(Math.Round(start, 3), Math.Round(end, 3), groups[i]));
                start = end;
            }
        }
        return cues;
    }

    /// <summary>Greedy lines of at most <paramref name="capacity"/> em; a break after punctuation is preferred when it is near the end.</summary>
    public static List<string> BreakLines(string text, double capacity)
    {
        var chinese = OfflineText.IsChinese(text);
        // English lines longer than ~42 characters are hard to read however wide the film is.
        capacity = chinese ? capacity : Math.Min(capacity, 21);
        var units = OfflineText.BreakUnits(string.Join(' ', OfflineText.Lines(text)));
        var lines = new List<string>();
        var line = new StringBuilder();
        var lastBreak = -1;
        foreach (var unit in units)
        {
            if (line.Length > 0 && Ems((line + unit).TrimEnd()) > capacity && !NoLineStart.Contains(unit.TrimStart()[0]))
            {
                var current = line.ToString();
                // Break after the last punctuation mark if that keeps at least 60 % of the line.
                if (lastBreak > 0 && Ems(current[..lastBreak]) >= capacity * 0.6 && lastBreak < current.Length)
                {
                    lines.Add(current[..lastBreak].Trim());
                    line.Clear().Append(current[lastBreak..].TrimStart());
                }
                else
                {
                    lines.Add(current.Trim());
                    line.Clear();
                }
                lastBreak = -1;
            }
            line.Append(line.Length == 0 ? unit.TrimStart() : unit);
            var trimmed = unit.TrimEnd();
            if (trimmed.Length > 0 && BreakAfter.Contains(trimmed[^1]))
            {
                lastBreak = line.Length;
            }
        }
        if (line.ToString().Trim().Length > 0)
        {
            lines.Add(line.ToString().Trim());
        }
        return lines;
    }

    /// <summary>Width in em: CJK characters and full-width marks 1, everything else 1/2.</summary>
    public static double Ems(string text) => text.Sum(c => OfflineText.IsCjk(c) || OfflineText.IsCjkPunctuation(c) ? 1.0 : 0.5);

    public static string ToSrt(IReadOnlyList<Cue> cues)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < cues.Count; i++)
        {
            builder.Append(i + 1).Append('\n')
                .Append(Time(cues[i].Start, ',')).Append(" --> ").Append(Time(cues[i].End, ',')).Append('\n')
                .Append(string.Join('\n', cues[i].Lines)).Append("\n\n");
        }
        return builder.ToString();
    }

    public static string ToVtt(IReadOnlyList<Cue> cues)
    {
        var builder = new StringBuilder("WEBVTT\n\n");
        for (var i = 0; i < cues.Count; i++)
        {
            builder.Append(i + 1).Append('\n')
                .Append(Time(cues[i].Start, '.')).Append(" --> ").Append(Time(cues[i].End, '.')).Append('\n')
                .Append(string.Join('\n', cues[i].Lines.Select(EscapeVtt))).Append("\n\n");
        }
        return builder.ToString();
    }

    private static string EscapeVtt(string line) => line.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>hh:mm:ss,mmm (SubRip) or hh:mm:ss.mmm (WebVTT).</summary>
    public static string Time(double seconds, char separator)
    {
        var t = TimeSpan.FromMilliseconds(Math.Round(Math.Max(0, seconds) * 1000));
        return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}{separator}{t.Milliseconds:000}");
    }

    /// <summary>The ISO 639-2 code the mp4 subtitle track is tagged with.</summary>
    public static string LanguageOf(IEnumerable<string> narrations) =>
        OfflineText.IsChinese(string.Concat(narrations)) ? "chi" : "eng";
}
