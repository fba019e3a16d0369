using Microsoft.EntityFrameworkCore;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>How long the rest of a project's pipeline should take, and each stage of it.</summary>
public sealed record PipelineEstimate(TimeSpan? Remaining, IReadOnlyDictionary<string, TimeSpan> Stages);

/// <summary>
/// Estimates from this machine's own past runs (the <see cref="StageRun"/> history): per stage, the median time
/// per shot (image, camera and video stages) or per character of the story (rewrite, storyboard) of its latest
/// completed runs, times this project's shots or characters. No history for a stage: no estimate.
/// </summary>
public sealed class RunEstimates(StageStreamDbContext db, TimeProvider clock)
{
    /// <summary>How many of a stage's latest completed runs the median is taken over.</summary>
    public const int Window = 9;

    public async Task<PipelineEstimate> EstimateAsync(Project project, CancellationToken cancellationToken)
    {
        var stages = new Dictionary<string, TimeSpan>();
        TimeSpan? remaining = TimeSpan.Zero;
        var now = clock.GetUtcNow();
        var shots = Math.Max(1, project.Shots.Count);
        var active = project.Stages.FirstOrDefault(s => s.IsActive);
        var activeIndex = active is null ? -1 : StageCatalog.IndexOf(active.Stage);
        foreach (var stage in StageCatalog.Names)
        {
            var record = project.Stage(stage);
            var index = StageCatalog.IndexOf(stage);
            // What is left to run: the running stage, then (in a pipeline run) the later stages it will not skip;
            // with nothing running, what a pipeline run would do.
            var toRun = active is null ? record.Status != StageStatus.Completed
                : index == activeIndex || index > activeIndex && active.PipelineRunId is not null && (project.PipelineForce || record.Status != StageStatus.Completed);
            if (!toRun)
            {
                continue;
            }
            var runs = await db.StageRuns.AsNoTracking()
                .Where(r => r.Stage == stage && r.Status == StageStatus.Completed)
                .OrderByDescending(r => r.Id).Take(Window)
                .Select(r => new { r.StartedAt, r.FinishedAt, r.ShotCount, r.TextLength })
                .ToListAsync(cancellationToken);
            if (runs.Count == 0)
            {
                remaining = null;
                continue;
            }
            var perShot = IsPerShot(stage);
            var rate = Median(runs.Select(r => (r.FinishedAt - r.StartedAt).TotalSeconds / Math.Max(1, perShot ? r.ShotCount : r.TextLength)));
            // Before the storyboard exists, the shot count is guessed from the story's length like the last runs had it.
            var size = perShot
                ? project.Shots.Count > 0 ? shots : Median(runs.Select(r => (double)Math.Max(1, r.ShotCount) / Math.Max(1, r.TextLength))) * project.OriginalText.Length
                : project.OriginalText.Length;
            var whole = TimeSpan.FromSeconds(rate * Math.Max(1, size));
            stages[stage] = whole;
            var left = whole;
            if (record.Status == StageStatus.Processing && record.StartedAt is { } started && record.FinishedAt is null)
            {
                var elapsed = now - started;
                var byTime = whole - elapsed;
                var byProgress = whole * (1 - Math.Clamp(record.Progress, 0, 99) / 100.0);
                left = (byTime + byProgress) / 2;
                if (left < TimeSpan.Zero)
                {
                    left = TimeSpan.Zero;
                }
            }
            remaining += left;
        }
        return new PipelineEstimate(remaining, stages);
    }

    public static bool IsPerShot(string stage) => StageCatalog.IndexOf(stage) >= StageCatalog.IndexOf(StageNames.ImageGeneration);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
