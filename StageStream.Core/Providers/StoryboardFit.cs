using StageStream.Core.Providers.Offline;

namespace StageStream.Core.Providers;

/// <summary>
/// Makes a storyboard meet a project's target: a shot count is met by merging the shortest neighbouring shots or
/// splitting the longest at a clause mark (else mid-sentence); a length in seconds becomes a shot count (one shot
/// per <see cref="SecondsPerShot"/>) and the planned durations are scaled to add up to it.
/// </summary>
public static class StoryboardFit
{
    public const double SecondsPerShot = 4.5;

    public const int MaxShots = 200;

    private const string ClauseMarks = "，、；：,;:—。！？.!?";

    /// <summary>The number of shots a target asks for, or null when it asks for none.</summary>
    public static int? ShotsFor(StoryboardTarget target) =>
        target.Shots ?? (target.Seconds is { } seconds ? Math.Clamp((int)Math.Round(seconds / SecondsPerShot), 1, MaxShots) : null);

    public static IReadOnlyList<ShotDraft> Fit(IReadOnlyList<ShotDraft> drafts, StoryboardTarget target)
    {
        if (drafts.Count == 0 || ShotsFor(target) is not { } wanted)
        {
            return drafts;
        }
        var chinese = OfflineText.IsChinese(string.Concat(drafts.Select(d => d.Narration)));
        var shots = drafts.ToList();
        while (shots.Count > wanted)
        {
            var i = Enumerable.Range(0, shots.Count - 1).MinBy(k => Weight(shots[k]) + Weight(shots[k + 1]));
            shots[i] = Merge(shots[i], shots[i + 1], chinese);
            shots.RemoveAt(i + 1);
        }
        while (shots.Count < wanted)
        {
            var i = Enumerable.Range(0, shots.Count).MaxBy(k => Weight(shots[k]));
            if (Split(shots[i], chinese) is not { } halves)
            {
                break;
            }
            shots[i] = halves.First;
            shots.Insert(i + 1, halves.Second);
        }
        if (target.Seconds is { } seconds)
        {
            var total = shots.Sum(s => s.DurationSeconds);
            var scale = total > 0 ? seconds / total : 1;
            shots = shots.Select(s => s with { DurationSeconds = Math.Clamp(Math.Round(s.DurationSeconds * scale * 2) / 2, 1, 30) }).ToList();
        }
        return shots;
    }

    private static double Weight(ShotDraft shot) => Math.Max(OfflineText.ReadingSeconds(shot.Narration), 0.01 * shot.Narration.Length);

    private static ShotDraft Merge(ShotDraft a, ShotDraft b, bool chinese) =>
        a with
        {
            Narration = OfflineText.Join(chinese, [a.Narration, b.Narration]),
            DurationSeconds = a.DurationSeconds + b.DurationSeconds,
        };

    /// <summary>Two halves of a shot, cut at the clause mark nearest the middle, else at the middle word (or character).</summary>
    private static (ShotDraft First, ShotDraft Second)? Split(ShotDraft shot, bool chinese)
    {
        var text = shot.Narration;
        if (text.Length < 2)
        {
            return null;
        }
        var middle = text.Length / 2;
        var cut = Enumerable.Range(1, text.Length - 1)
            .Where(i => ClauseMarks.Contains(text[i - 1]) && !ClauseMarks.Contains(text[i]))
            .Select(i => (int?)i)
            .MinBy(i => Math.Abs(i!.Value - middle));
        if (cut is null || Math.Abs(cut.Value - middle) > text.Length / 4)
        {
            cut = chinese
                ? middle
                : Enumerable.Range(1, text.Length - 1).Where(i => text[i - 1] == ' ').Select(i => (int?)i).MinBy(i => Math.Abs(i!.Value - middle)) ?? middle;
        }
        if (char.IsLowSurrogate(text[cut.Value]))
        {
            cut++;
        }
        var (first, second) = (text[..cut.Value].Trim(), text[cut.Value..].Trim());
        if (first.Length == 0 || second.Length == 0)
        {
            return null;
        }
        var share = (double)first.Length / text.Length;
        return (shot with { Narration = first, DurationSeconds = Math.Max(1, Math.Round(shot.DurationSeconds * share * 2) / 2) },
                shot with { Narration = second, DurationSeconds = Math.Max(1, Math.Round(shot.DurationSeconds * (1 - share) * 2) / 2) });
    }
}
