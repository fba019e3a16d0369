using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;

namespace StageStream.Core.Events.Log;

/// <summary>
/// Applies <see cref="RetentionRules"/> to the durable log in the background, every
/// <see cref="EventRetentionOptions.PruneIntervalSeconds"/>: at start every stored project, then the
/// projects whose events may have aged past the cutoff since (those with events younger than the
/// retention plus two intervals). Deletes go in small chunks, each its own short transaction, so the
/// writer's commits wait at most for one of them. Does nothing when another transport (Redis) is the log.
/// </summary>
public sealed class EventLogPruner(
    IEventTransport transport, IServiceScopeFactory scopes, IOptions<EventRetentionOptions> options, TimeProvider clock, ILogger<EventLogPruner> logger)
    : BackgroundService
{
    private const int DeleteChunk = 500;

    // Projects found at start whose newest event is still young enough to need another look.
    private Dictionary<string, double>? _followUp;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (transport is not DatabaseEventTransport log)
        {
            return;
        }
        var interval = Interval;
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await PruneAsync(log, stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Pruning the event log failed; trying again in {Interval}", interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(1, options.Value.PruneIntervalSeconds));

    /// <summary>One pass; returns the number of events deleted.</summary>
    internal async Task<int> PruneAsync(DatabaseEventTransport log, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        var cutoff = now - options.Value.RetentionSeconds;
        var stillYoung = cutoff - 2 * Interval.TotalSeconds;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        List<string> projects;
        var followUp = _followUp;
        if (followUp is null)
        {
            var newest = await db.Events.GroupBy(e => e.ProjectId)
                .Select(g => new { ProjectId = g.Key, Newest = g.Max(e => e.Timestamp) })
                .ToListAsync(cancellationToken);
            followUp = newest.ToDictionary(p => p.ProjectId, p => p.Newest);
            projects = [.. followUp.Keys];
        }
        else
        {
            projects = [.. log.ProjectsAppendedSince(stillYoung).Union(followUp.Keys)];
        }

        var deleted = 0;
        foreach (var projectId in projects)
        {
            deleted += await PruneProjectAsync(db, projectId, cutoff, cancellationToken);
        }
        _followUp = followUp.Where(p => p.Value >= stillYoung).ToDictionary();
        log.ReleaseIdle(stillYoung);
        if (deleted > 0)
        {
            logger.LogDebug("Pruned {Count} events of {Projects} projects from the event log", deleted, projects.Count);
        }
        return deleted;
    }

    private static async Task<int> PruneProjectAsync(StageStreamDbContext db, string projectId, double cutoff, CancellationToken cancellationToken)
    {
        var rows = await db.Events.AsNoTracking()
            .Where(e => e.ProjectId == projectId)
            .OrderBy(e => e.Id)
            .Select(e => new { e.Id, e.Stage, e.RunId, e.PipelineRunId, e.Timestamp })
            .ToListAsync(cancellationToken);
        var events = rows.ConvertAll(r => new StageEvent
        {
            Id = r.Id, Type = "", ProjectId = projectId, Stage = r.Stage, RunId = r.RunId, PipelineRunId = r.PipelineRunId, Timestamp = r.Timestamp,
        });
        var keep = RetentionRules.Keep(events, cutoff);
        var drop = events.Where(e => !keep.Contains(e.Id)).Select(e => e.Id).ToList();
        var deleted = 0;
        foreach (var chunk in drop.Chunk(DeleteChunk))
        {
            deleted += await db.Events.Where(e => e.ProjectId == projectId && chunk.Contains(e.Id)).ExecuteDeleteAsync(cancellationToken);
        }
        return deleted;
    }
}
