using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace StageStream.Core.Events;

/// <summary>
/// The default transport for one server: each project's events in memory, trimmed by the retention
/// rules, delivered to this process's hub in id order.
/// </summary>
public sealed class InMemoryEventTransport(EventHub hub, IOptions<EventRetentionOptions> options, TimeProvider clock) : IEventTransport
{
    private readonly ConcurrentDictionary<string, ProjectLog> _logs = new();

    public ValueTask<StageEvent> AppendAsync(StageEvent stageEvent, CancellationToken cancellationToken)
    {
        var log = _logs.GetOrAdd(stageEvent.ProjectId, _ => new ProjectLog());
        StageEvent appended;
        lock (log)
        {
            var now = clock.GetUtcNow();
            appended = stageEvent with { Id = EventIds.Next(log.LastId, now) };
            log.LastId = appended.Id;
            log.Events.Add(appended);
            if (log.Events.Count >= log.NextTrimAt)
            {
                log.Trim(now.ToUnixTimeMilliseconds() / 1000.0 - options.Value.RetentionSeconds);
            }
            // Inside the lock, so the hub sees one project's events in id order.
            hub.Deliver(appended);
        }
        return ValueTask.FromResult(appended);
    }

    public ValueTask<IReadOnlyList<StageEvent>> ReadAsync(string projectId, long afterId, CancellationToken cancellationToken)
    {
        // The log exists before the read, so a first subscriber's history and the live deliveries
        // that follow it are ordered by the same lock.
        var log = _logs.GetOrAdd(projectId, _ => new ProjectLog());
        lock (log)
        {
            // A project nobody here watched until now: the hub learns its running texts from exactly
            // the events appended so far, and live delivery continues after them.
            if (hub.NeedsWarm(projectId))
            {
                hub.Warm(projectId, log.Events);
            }
            var start = log.Events.FindIndex(e => e.Id > afterId);
            IReadOnlyList<StageEvent> events = start < 0 ? [] : log.Events.GetRange(start, log.Events.Count - start);
            return ValueTask.FromResult(events);
        }
    }

    private sealed class ProjectLog
    {
        public List<StageEvent> Events { get; } = [];
        public long LastId { get; set; }
        public int NextTrimAt { get; private set; } = 1024;

        public void Trim(double cutoff)
        {
            var keep = RetentionRules.Keep(Events, cutoff);
            Events.RemoveAll(e => !keep.Contains(e.Id));
            NextTrimAt = Math.Max(1024, Events.Count * 2);
        }
    }
}

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
