using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// storyboard without a model: a shot per sentence (Chinese and English end marks and quotes), long sentences
/// split at their clauses, fragments merged, each shot timed by how long its narration takes to read.
/// Streams its plan as JSON, the way a model's answer would arrive.
/// </summary>
public sealed class OfflineStoryboardProvider(IOptionsMonitor<OfflineOptions> options) : IStoryboardProvider
{
    public const double MinDuration = 2;
    public const double MaxDuration = 8;

    /// <summary>Pauses between shots make a narration feel unhurried.</summary>
    private const double Breath = 0.8;

    /// <summary>Shorter than this (about three words or six characters) a piece is no shot of its own.</summary>
    private const double FragmentSeconds = 1.2;

    private static readonly string[] CloseTerms =
    [
        "face", "faces", "eye", "eyes", "tear", "tears", "smile", "smiled", "smiles", "lips", "hand", "hands", "finger", "fingers",
        "whisper", "whispered", "whispers", "heart", "letter", "ring", "breath", "cheek", "cheeks",
        "脸", "眼", "泪", "笑", "手", "指", "唇", "低语", "耳语", "心", "信",
    ];

    private static readonly string[] WideTerms =
    [
        "sky", "skies", "mountain", "mountains", "sea", "ocean", "city", "forest", "valley", "horizon", "field", "fields", "desert",
        "river", "village", "world", "landscape", "coast", "island", "kingdom", "town", "cliff", "cliffs",
        "天空", "山", "海", "城", "森林", "田野", "村", "河", "江", "世界", "远方", "大地", "草原", "岛",
    ];

    private static readonly string[] NightTerms = ["night", "moon", "moonlight", "dark", "darkness", "stars", "midnight", "evening", "夜", "晚上", "月", "星", "黑暗"];
    private static readonly string[] MorningTerms = ["morning", "dawn", "sunrise", "sun", "sunlight", "清晨", "早晨", "黎明", "日出", "阳光"];
    private static readonly string[] StormTerms = ["rain", "storm", "thunder", "lightning", "wind", "waves", "雨", "风暴", "雷", "闪电", "风", "浪"];

    private static readonly string[] MiddleTypes = ["medium", "medium close-up", "medium", "wide"];

    public string Name => OfflineProvider.Name;

    public async Task<IReadOnlyList<ShotDraft>> PlanAsync(string text, StoryboardTarget target, Func<string, ValueTask> onToken, CancellationToken cancellationToken)
    {
        var shots = StoryboardFit.Fit(Plan(text), target);
        var pacer = new TokenPacer(options.CurrentValue.TokensPerSecond);
        foreach (var line in JsonLines(shots))
        {
            await pacer.WaitAsync(cancellationToken);
            await onToken(line);
        }
        return shots;
    }

    internal static IReadOnlyList<ShotDraft> Plan(string text)
    {
        var chinese = OfflineText.IsChinese(text);
        var lines = OfflineText.Lines(text).Select(StripMarkdown).Where(l => l.Length > 0).ToList();
        // A short first line without an end mark is the story's title, not a shot.
        if (lines.Count > 1 && lines[0].Length <= 60 && !OfflineText.HasEndMark(lines[0]))
        {
            lines.RemoveAt(0);
        }
        var pieces = new List<string>();
        foreach (var line in lines)
        {
            foreach (var sentence in OfflineText.SplitSentences(OfflineText.Normalize(line, chinese), semicolons: true))
            {
                pieces.AddRange(SplitLong(sentence, chinese));
            }
        }
        var narrations = MergeFragments(pieces, chinese);
        return narrations.Select((narration, i) =>
        {
            var type = ShotType(narration, i, narrations.Count);
            return new ShotDraft(narration, VisualPrompt(narration, type), type, Duration(narration));
        }).ToList();
    }

    /// <summary>Reading time plus a breath, rounded to half seconds, within 2-8 s.</summary>
    internal static double Duration(string narration)
    {
        var seconds = Math.Round((OfflineText.ReadingSeconds(narration) + Breath) * 2, MidpointRounding.AwayFromZero) / 2;
        return Math.Clamp(seconds, MinDuration, MaxDuration);
    }

    private static string StripMarkdown(string line) => line.TrimStart('#', '>', '*', '-', ' ').Replace("**", "").Trim();

    /// <summary>Splits a sentence too long for one shot at the clause mark nearest its middle, else at a word (or character).</summary>
    private static IEnumerable<string> SplitLong(string sentence, bool chinese)
    {
        var total = OfflineText.ReadingSeconds(sentence);
        if (total + Breath <= MaxDuration || sentence.Length < 2)
        {
            return [sentence];
        }
        var cut = -1;
        var best = double.MaxValue;
        for (var i = 1; i < sentence.Length - 1; i++)
        {
            if ("，、：,:—–".Contains(sentence[i - 1]) && !"，、：,:—–".Contains(sentence[i]))
            {
                var distance = Math.Abs(OfflineText.ReadingSeconds(sentence[..i]) - total / 2);
                if (distance < best)
                {
                    (best, cut) = (distance, i);
                }
            }
        }
        // A clause mark far from the middle would leave one half still too long or a fragment.
        if (cut < 0 || best > total / 4)
        {
            cut = MiddleCut(sentence, chinese);
        }
        if (cut <= 0 || cut >= sentence.Length)
        {
            return [sentence];
        }
        return SplitLong(sentence[..cut].Trim(), chinese).Concat(SplitLong(sentence[cut..].Trim(), chinese));
    }

    private static int MiddleCut(string sentence, bool chinese)
    {
        var middle = sentence.Length / 2;
        for (var offset = 0; offset < middle; offset++)
        {
            foreach (var i in new[] { middle + offset, middle - offset })
            {
                if (i <= 0 || i >= sentence.Length)
                {
                    continue;
                }
                var (before, at) = (sentence[i - 1], sentence[i]);
                var boundary = chinese
                    ? !char.IsSurrogatePair(before, at) && !(char.IsAsciiLetterOrDigit(before) && char.IsAsciiLetterOrDigit(at)) && !OfflineText.IsCjkPunctuation(at)
                    : before == ' ';
                if (boundary)
                {
                    return i;
                }
            }
        }
        return -1;
    }

    /// <summary>
    /// Joins pieces too short for a shot: a finished sentence ("He nodded.") to the shot before it, an unfinished
    /// clause ("Nobody answered;") to the one after it.
    /// </summary>
    private static List<string> MergeFragments(List<string> pieces, bool chinese)
    {
        var merged = new List<string>();
        string? carry = null;
        foreach (var piece in pieces)
        {
            var text = carry is null ? piece : OfflineText.Join(chinese, [carry, piece]);
            carry = null;
            if (OfflineText.ReadingSeconds(text) >= FragmentSeconds)
            {
                merged.Add(text);
            }
            else if (merged.Count > 0 && EndsSentence(text))
            {
                merged[^1] = OfflineText.Join(chinese, [merged[^1], text]);
            }
            else
            {
                carry = text;
            }
        }
        if (carry is not null)
        {
            if (merged.Count > 0)
            {
                merged[^1] = OfflineText.Join(chinese, [merged[^1], carry]);
            }
            else
            {
                merged.Add(carry);
            }
        }
        return merged;

        static bool EndsSentence(string text) => OfflineText.HasEndMark(text) && text.TrimEnd("”’\"'」』）)".ToCharArray())[^1] is not (';' or '；');
    }

    /// <summary>Wide to open and close, close-ups for faces and feelings, landscapes wide, otherwise a varied middle.</summary>
    private static string ShotType(string narration, int index, int count)
    {
        if (index == 0)
        {
            return OfflineText.FindTerm(narration, CloseTerms) is not null && count == 1 ? "close-up" : "wide";
        }
        if (OfflineText.FindTerm(narration, CloseTerms) is not null)
        {
            return "close-up";
        }
        if (OfflineText.FindTerm(narration, WideTerms) is not null || index == count - 1)
        {
            return "wide";
        }
        if (narration.IndexOfAny(['“', '"', '「']) >= 0)
        {
            return "medium close-up";
        }
        return MiddleTypes[index % MiddleTypes.Length];
    }

    private static string VisualPrompt(string narration, string shotType)
    {
        var light = OfflineText.FindTerm(narration, NightTerms) is not null ? "moonlit night, cool blue tones"
            : OfflineText.FindTerm(narration, StormTerms) is not null ? "stormy weather, dramatic clouds"
            : OfflineText.FindTerm(narration, MorningTerms) is not null ? "golden morning light"
            : "soft natural light";
        return $"Cinematic still, {shotType} shot: {narration} ({light}, detailed)";
    }

    /// <summary>The plan as indented JSON, one line per token, so it reads like a model writing it.</summary>
    internal static IEnumerable<string> JsonLines(IReadOnlyList<ShotDraft> shots)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("shots");
            foreach (var shot in shots)
            {
                writer.WriteStartObject();
                writer.WriteString("narration", shot.Narration);
                writer.WriteString("visual_prompt", shot.VisualPrompt);
                writer.WriteString("shot_type", shot.ShotType);
                writer.WriteNumber("duration", shot.DurationSeconds);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        var json = Encoding.UTF8.GetString(buffer.ToArray()).ReplaceLineEndings("\n");
        var lines = json.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            yield return i < lines.Length - 1 ? lines[i] + "\n" : lines[i];
        }
    }
}
