using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// Events in a Redis Stream per project, shared by every server process. This class puts the parts together:
/// <see cref="StreamAppender"/> (one Lua script: id, XADD, announcement), <see cref="OutageOutbox"/> (events
/// wait in memory while Redis is unreachable, delivered locally at once, written in order with the same ids
/// when it returns), <see cref="AnnouncementSubscription"/> (one per process), <see cref="ProjectFeeds"/> (for
/// the projects this process's clients watch: new entries read with XRANGE and handed to the
/// <see cref="EventHub"/> in id order), <see cref="RetentionTrimmer"/> and <see cref="ReconnectRecovery"/>.
/// </summary>
public sealed class RedisEventTransport : IEventTransport, IHostedService
{
    /// <summary>How long a subscriber's history read keeps retrying while the connection comes back.</summary>
    private static readonly TimeSpan ReadRetry = TimeSpan.FromSeconds(2);

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _clock;
    private readonly LastEventIds _ids;
    private readonly ProjectFeeds _feeds;
    private readonly OutageWindow _outage;
    private readonly OutageOutbox _outbox;
    private readonly AnnouncementSubscription _subscription;
    private readonly ReconnectRecovery _recovery;
    // One append at a time per project: ids are assigned in the order events reach Redis or the outbox.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _appendLocks = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _background = Task.CompletedTask;

    public RedisEventTransport(
        IConnectionMultiplexer redis, EventHub hub, IOptions<RedisOptions> options, IOptions<EventRetentionOptions> retention,
        TimeProvider clock, ILogger<RedisEventTransport> logger)
    {
        _redis = redis;
        _clock = clock;
        var settings = options.Value;
        Keys = new RedisKeys(settings.KeyPrefix);
        _ids = new LastEventIds(clock);
        var reader = new EventStreamReader(redis, Keys, logger);
        var trimmer = new RetentionTrimmer(redis, Keys, reader, settings, retention, clock, logger);
        _feeds = new ProjectFeeds(hub, reader, _ids, trimmer, logger);
        var appender = new StreamAppender(redis, Keys, settings, _ids, _feeds, trimmer, logger);
        _outage = new OutageWindow(redis, settings, clock);
        _outbox = new OutageOutbox(redis, appender, _feeds, reader, settings, _outage, clock, logger);
        _subscription = new AnnouncementSubscription(redis, Keys, _feeds, clock, logger);
        _recovery = new ReconnectRecovery(redis, _feeds, _outbox, clock, logger);
    }

    /// <summary>Test hook: runs inside the project's append lock, after the id is assigned and before the write.</summary>
    internal Func<StageEvent, Task>? BeforeAppend { get; set; }

    /// <summary>Test hook: runs when a first reader has read a project's history, before live delivery is switched on.</summary>
    internal Func<string, Task>? AfterHistoryRead
    {
        get => _feeds.AfterHistoryRead;
        set => _feeds.AfterHistoryRead = value;
    }

    /// <summary>Test hook: ends the polling of watched projects that follows a (re)connect, as if it were 30 s later.</summary>
    internal void EndRecoveryPolling() => _recovery.EndPolling();

    /// <summary>Projects this process follows in Redis (those with local subscribers).</summary>
    public int WatchedProjectCount => _feeds.Count;

    /// <summary>Redis subscriptions this process holds: one, whatever the number of clients.</summary>
    public int SubscriptionCount => _subscription.Count;

    /// <summary>The name this process's connections carry in CLIENT LIST.</summary>
    public string ClientName => _redis.ClientName;

    public bool IsConnected => _redis.IsConnected;

    /// <summary>Announcements this process has received (each append once, however many clients).</summary>
    public long AnnouncementsReceived => _subscription.Received;

    /// <summary>Events published while Redis was unreachable and not yet written to it.</summary>
    public int BufferedCount => _outbox.Count;

    /// <summary>Age of the oldest buffered event, if any.</summary>
    public TimeSpan? OldestBufferedAge => _outbox.OldestEnqueuedAt is { } at ? _clock.GetUtcNow() - at : null;

    /// <summary>Events dropped because an outage outlasted <see cref="RedisOptions.OutageBufferSeconds"/>.</summary>
    public long DroppedCount => _outage.Dropped;

    public RedisKeys Keys { get; }

    public async ValueTask<StageEvent> AppendAsync(StageEvent stageEvent, CancellationToken cancellationToken)
    {
        // Several publishers may write one project at once (the runner, the cancel endpoint, recovery). Without
        // this lock an event could take its id, lose its write to a dropped connection and be buffered behind a
        // later id already delivered here: shown out of order, or stored under a new id. Not cancellable: the
        // caller's event is published once it asks, as before.
        var appendLock = _appendLocks.GetOrAdd(stageEvent.ProjectId, _ => new SemaphoreSlim(1, 1));
        await appendLock.WaitAsync(CancellationToken.None);
        try
        {
            var pending = new PendingEvent(stageEvent with { Id = _ids.Next(stageEvent.ProjectId) }, Guid.NewGuid().ToString("N"), _clock.GetUtcNow());
            if (BeforeAppend is { } hook)
            {
                await hook(pending.Event);
            }
            return await _outbox.AppendAsync(pending);
        }
        finally
        {
            appendLock.Release();
        }
    }

    /// <summary>
    /// Reads a project's retained events, retrying briefly while the connection comes back.
    /// </summary>
    /// <exception cref="EventLogUnavailableException">Redis stayed unreachable for the whole retry.</exception>
    public async ValueTask<IReadOnlyList<StageEvent>> ReadAsync(string projectId, long afterId, CancellationToken cancellationToken)
    {
        var deadline = _clock.GetUtcNow() + ReadRetry;
        while (true)
        {
            try
            {
                // The outbox first: an event flushed between the two reads is then in one of them, never in neither.
                return await _feeds.ReadAsync(projectId, afterId, _outbox.Waiting(projectId), cancellationToken);
            }
            catch (Exception ex) when (RedisUnavailable.Is(ex) && ex is not ObjectDisposedException)
            {
                if (_clock.GetUtcNow() >= deadline)
                {
                    // Transport-neutral: the SSE endpoint tells the browser to come back in a second.
                    throw new EventLogUnavailableException($"The event log of project {projectId} cannot be read: Redis is unavailable.", ex);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200), _clock, cancellationToken);
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _recovery.Attach();
        var subscribing = Task.Run(() => _subscription.SubscribeAsync(_stopping.Token), CancellationToken.None);
        _background = Task.WhenAll(
            subscribing,
            Task.Run(() => _outbox.RunFlushLoopAsync(_stopping.Token), CancellationToken.None),
            Task.Run(() => _recovery.RunAsync(_stopping.Token), CancellationToken.None));
        // Serve with the subscription in place when Redis is there; without it, start anyway and keep trying.
        await Task.WhenAny(subscribing, Task.Delay(TimeSpan.FromSeconds(3), _clock, cancellationToken));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _recovery.Detach();
        await _outbox.FlushBeforeStopAsync(cancellationToken);
        await _stopping.CancelAsync();
        try
        {
            await _background.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        await _subscription.UnsubscribeAsync();
    }
}
