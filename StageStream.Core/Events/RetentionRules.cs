namespace StageStream.Core.Events;

/// <summary>
/// What retention keeps: every run with an event newer than the cutoff, and the latest run of each
/// stage and of the pipeline. Runs are kept or dropped whole: a run cut in the middle would replay
/// tokens whose <c>full_text</c> misses its beginning.
/// </summary>
public static class RetentionRules
{
    public static HashSet<long> Keep(IReadOnlyList<StageEvent> events, double cutoffEpochSeconds)
    {
        var latestRunOfStage = new Dictionary<string, string>();
        var recentRuns = new HashSet<string>();
        string? latestRootRun = null;
        string? latestPipelineRun = null;
        foreach (var e in events)
        {
            latestRunOfStage[e.Stage] = e.RunId;
            latestRootRun = e.RootRunId;
            latestPipelineRun = e.PipelineRunId ?? latestPipelineRun;
            if (e.Timestamp >= cutoffEpochSeconds)
            {
                recentRuns.Add(e.RunId);
            }
        }
        var keep = new HashSet<long>();
        foreach (var e in events)
        {
            if (recentRuns.Contains(e.RunId) || latestRunOfStage[e.Stage] == e.RunId || e.RootRunId == latestRootRun
                || (e.PipelineRunId is not null && e.PipelineRunId == latestPipelineRun))
            {
                keep.Add(e.Id);
            }
        }
        return keep;
    }
}
