using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;

namespace StageStream.Core.Events.Log;

/// <summary>
/// The default transport for one server: a durable event log in the app's database. Every event is
/// committed (by <see cref="EventLogWriter"/>, in group commits) before the hub delivers it, so no client
/// ever sees an event that a crash could take back, and a replay after a restart returns exactly what
/// was sent before it, with the same ids. Reads of watched projects are served from memory.
/// </summary>
public sealed class DatabaseEventTransport : IEventTransport, IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<string, ProjectLog> _logs = new();
    private readonly EventHub _hub;
    private readonly IServiceScopeFactory _scopes;
    private readonly IOptions<EventRetentionOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly EventLogWriter _writer;
    private readonly Func<string, Task<long>> _loadLastId;
    private readonly Func<double> _cutoff;

    public DatabaseEventTransport(
        EventHub hub, IServiceScopeFactory scopes, IOptions<EventRetentionOptions> options, TimeProvider clock, ILogger<DatabaseEventTransport> logger)
    {
        _hub = hub;
        _scopes = scopes;
        _options = options;
        _clock = clock;
        _logger = logger;
        _loadLastId = LoadLastIdAsync;
        _cutoff = Cutoff;
        _writer = new EventLogWriter(scopes, logger, Deliver);
        hub.ProjectReleased += Release;
    }

    /// <summary>Batches committed since start, and the events in them.</summary>
    public (long Commits, long Events) WriterStatistics => (_writer.Commits, _writer.CommittedEvents);

    /// <summary>Projects this process holds state for (ids, or a watched project's events).</summary>
    public int ProjectCount => _logs.Count;

    /// <summary>
    /// Assigns the event its id, queues it for the next group commit and completes once it is stored (the
    /// writer hands it to the hub right after). A failure to store it (a full disk, a broken database) is thrown from here.
    /// Once the project's last id is known (after its first append or read here), the id is given before
    /// this method first yields, so appends started one after another get ids in that order even unawaited.
    /// </summary>
    public async ValueTask<StageEvent> AppendAsync(StageEvent stageEvent, CancellationToken cancellationToken)
    {
        // Serialized on the publisher's thread rather than the single writer's; the id is not in the JSON.
        var payload = StoredEvent.PayloadOf(stageEvent);
        while (true)
        {
            var log = await ReadyLogAsync(stageEvent.ProjectId, cancellationToken);
            PendingAppend append;
            bool lead;
            lock (log.Gate)
            {
                if (log.Retired)
                {
                    continue;
                }
                var now = _clock.GetUtcNow();
                var appended = stageEvent with { Id = EventIds.Next(log.LastId, now) };
                append = new PendingAppend(appended, StoredEvent.From(appended, payload), log);
                // Queued under the lock: the writer's queue holds each project's events in id order.
                if (!_writer.TryEnqueue(append, out lead))
                {
                    throw new ObjectDisposedException(nameof(DatabaseEventTransport), "The event log is shutting down.");
                }
                log.LastId = appended.Id;
                log.InFlight++;
                log.LastUsed = now.ToUnixTimeMilliseconds() / 1000.0;
            }
            if (lead)
            {
                // The writer was idle: this caller commits its event (and whatever queued with it) itself.
                await _writer.DrainAsync(append);
            }
            // Stored once queued: the caller's token cannot take it back, so it is not used for the wait.
            return await append.Task;
        }
    }

    public ValueTask<IReadOnlyList<StageEvent>> ReadAsync(string projectId, long afterId, CancellationToken cancellationToken) =>
        ReadAsync(projectId, events => events.After(afterId), cancellationToken);

    /// <summary>Served from the watched project's run-start index: no copy or scan of its whole retained history.</summary>
    public ValueTask<IReadOnlyList<StageEvent>> ReadForStreamAsync(string projectId, string? stage, long? afterId, CancellationToken cancellationToken) =>
        ReadAsync(projectId, events => events.ForStream(stage, afterId), cancellationToken);

    private async ValueTask<IReadOnlyList<StageEvent>> ReadAsync(string projectId, Func<EventCache, List<StageEvent>> select, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadCoreAsync(projectId, select, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new EventLogUnavailableException($"The event log of project {projectId} could not be read from the database.", exception);
        }
    }

    private async Task<IReadOnlyList<StageEvent>> ReadCoreAsync(string projectId, Func<EventCache, List<StageEvent>> select, CancellationToken cancellationToken)
    {
        while (true)
        {
            var log = await ReadyLogAsync(projectId, cancellationToken);
            List<StageEvent>? loaded = null;
            // The last delivered id when the load was made: every event delivered up to it is in what was loaded.
            long loadedThrough = 0;
            while (true)
            {
                long deliveredNow;
                lock (log.Gate)
                {
                    if (log.Retired)
                    {
                        break;
                    }
                    log.LastUsed = Now();
                    deliveredNow = log.Delivered;
                    // Usable when nothing was delivered since the load began. It may hold events beyond that,
                    // committed but not yet delivered: they are left out, and added when they are delivered.
                    if (log.Cache is null && loaded is not null && loadedThrough == deliveredNow)
                    {
                        var cache = new EventCache(loaded.FindAll(e => e.Id <= deliveredNow));
                        cache.Trim(Cutoff());
                        if (!_hub.HasSubscribers(projectId))
                        {
                            // Nobody here watches it: nothing to keep, and no hub state to warm.
                            return select(cache);
                        }
                        log.Cache = cache;
                    }
                    if (log.Cache is { } events)
                    {
                        // The hub learns the project's running texts from exactly the events delivered so far,
                        // under the lock that orders deliveries, and live delivery continues after them.
                        if (_hub.NeedsWarm(projectId))
                        {
                            _hub.Warm(projectId, events.Events);
                        }
                        return select(events);
                    }
                }
                // Ids are committed in order, so what was delivered meanwhile comes after the last id loaded.
                var more = await LoadAsync(projectId, loaded is null ? 0 : LastIdOf(loaded), cancellationToken);
                loaded = loaded is null ? more : [.. loaded, .. more];
                loadedThrough = deliveredNow;
            }
        }
    }

    /// <summary>Called by the writer after each commit, in queue order: delivers each event in id order per project.</summary>
    private void Deliver(List<PendingAppend> batch)
    {
        foreach (var append in batch)
        {
            var e = append.Event;
            var log = append.Log;
            try
            {
                lock (log.Gate)
                {
                    log.InFlight--;
                    log.Delivered = e.Id;
                    log.LastAppended = e.Timestamp;
                    log.Cache?.Add(e, _cutoff);
                    // Completed before the fan-out: a waiting publisher resumes (on the pool) ahead of the
                    // subscribers' wake-ups that the hub queues next, and a read it makes finds its event.
                    append.TrySetResult(e);
                    _hub.Deliver(e);
                }
            }
            catch (Exception exception)
            {
                _logger.LogError(exception, "Delivering event {Id} of project {Project} failed", e.Id, e.ProjectId);
                append.TrySetResult(e);
            }
        }
    }

    /// <summary>The last local subscriber of a project left: its events are no longer kept in memory.</summary>
    private void Release(string projectId)
    {
        if (_logs.TryGetValue(projectId, out var log))
        {
            lock (log.Gate)
            {
                if (!_hub.HasSubscribers(projectId))
                {
                    log.Cache = null;
                }
            }
        }
    }

    /// <summary>Projects that had events delivered by this process since <paramref name="since"/> (epoch seconds).</summary>
    internal List<string> ProjectsAppendedSince(double since) =>
        [.. _logs.Values.Where(log => log.LastAppended >= since).Select(log => log.ProjectId)];

    /// <summary>Forgets projects unused since <paramref name="before"/> with nothing in flight and nobody watching; their next use reloads the last id.</summary>
    internal int ReleaseIdle(double before)
    {
        var released = 0;
        foreach (var (projectId, log) in _logs)
        {
            lock (log.Gate)
            {
                if (log.IsReady && log.Cache is null && log.InFlight == 0 && log.LastUsed < before && !_hub.HasSubscribers(projectId))
                {
                    log.Retired = true;
                    _logs.TryRemove(new KeyValuePair<string, ProjectLog>(projectId, log));
                    released++;
                }
            }
        }
        return released;
    }

    private async ValueTask<ProjectLog> ReadyLogAsync(string projectId, CancellationToken cancellationToken)
    {
        var log = _logs.GetOrAdd(projectId, static (id, now) => new ProjectLog(id, now), Now());
        if (!log.IsReady)
        {
            await log.ReadyAsync(_loadLastId).WaitAsync(cancellationToken);
        }
        return log;
    }

    private async Task<long> LoadLastIdAsync(string projectId)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        return await db.Events.Where(e => e.ProjectId == projectId).MaxAsync(e => (long?)e.Id) ?? 0;
    }

    private async Task<List<StageEvent>> LoadAsync(string projectId, long afterId, CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        var rows = await db.Events.AsNoTracking()
            .Where(e => e.ProjectId == projectId && e.Id > afterId)
            .OrderBy(e => e.Id)
            .ToListAsync(cancellationToken);
        return rows.ConvertAll(row => row.ToEvent());
    }

    private static long LastIdOf(List<StageEvent> events) => events.Count == 0 ? 0 : events[^1].Id;

    private double Now() => _clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    private double Cutoff() => Now() - _options.Value.RetentionSeconds;

    /// <summary>Stops taking events and waits until every queued one is stored.</summary>
    public async ValueTask DisposeAsync()
    {
        _hub.ProjectReleased -= Release;
        await _writer.DisposeAsync();
    }

    public void Dispose()
    {
        _hub.ProjectReleased -= Release;
        _writer.Dispose();
    }
}
