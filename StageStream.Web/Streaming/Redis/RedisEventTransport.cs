using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// Events in a Redis Stream per project, shared by every server process. An append runs one Lua script
/// (id, XADD, announcement); each process holds ONE subscription to the announcement channel and, for the
/// projects its clients watch, reads new entries with XRANGE and hands them to its <see cref="EventHub"/>
/// in id order. While Redis is unreachable, appends wait in an in-memory outbox (delivered locally at
/// once) and are written, in order and with the same ids, when it returns.
/// </summary>
public sealed partial class RedisEventTransport : IEventTransport, IHostedService
{
    private const int ReadBatch = 1000;
    private const int FirstTrimAt = 1024;

    /// <summary>How long a subscriber's history read keeps retrying while the connection comes back.</summary>
    private static readonly TimeSpan ReadRetry = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The client's reconnect back-off (at most 2 s, see RedisExtensions) and its 1 s heartbeat: an outage of
    /// the configured window is only over for this process that much later, and must not cost events.
    /// </summary>
    private static readonly TimeSpan ReconnectGrace = TimeSpan.FromSeconds(5);

    private readonly IConnectionMultiplexer _redis;
    private readonly EventHub _hub;
    private readonly RedisOptions _options;
    private readonly IOptions<EventRetentionOptions> _retention;
    private readonly TimeProvider _clock;
    private readonly ILogger<RedisEventTransport> _logger;
    private readonly RedisKeys _keys;
    private readonly RedisChannel _announcements;

    private readonly ConcurrentDictionary<string, ProjectFeed> _feeds = new();
    // One append at a time per project: ids are assigned in the order events reach Redis or the outbox.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _appendLocks = new();
    private readonly ConcurrentDictionary<string, long> _lastIds = new();
    private readonly ConcurrentDictionary<string, int> _trimAt = new();
    private readonly ConcurrentDictionary<string, byte> _trimming = new();
    private readonly Outbox _outbox = new();
    private readonly Outbox _recent = new();
    private readonly Channel<bool> _flushSignal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _background = Task.CompletedTask;
    private long _recoverUntilTicks;
    // When this process first saw Redis unavailable (UTC ticks); 0 while it is reachable.
    private long _outageStartedTicks;
    private int _subscriptions;
    private long _announcementsReceived;
    private int _subscribeAttempt;
    private long _dropped;
    private int _outageLogged;
    private volatile bool _repairNeeded;

    public RedisEventTransport(
        IConnectionMultiplexer redis, EventHub hub, IOptions<RedisOptions> options, IOptions<EventRetentionOptions> retention,
        TimeProvider clock, ILogger<RedisEventTransport> logger)
    {
        _redis = redis;
        _hub = hub;
        _options = options.Value;
        _retention = retention;
        _clock = clock;
        _logger = logger;
        _keys = new RedisKeys(_options.KeyPrefix);
        _announcements = RedisChannel.Literal(_keys.Announcements);
        _hub.ProjectReleased += OnProjectReleased;
    }

    /// <summary>Test hook: runs inside the project's append lock, after the id is assigned and before the write.</summary>
    internal Func<StageEvent, Task>? BeforeAppend { get; set; }

    /// <summary>Test hook: runs when a first reader has read a project's history, before live delivery is switched on.</summary>
    internal Func<string, Task>? AfterHistoryRead { get; set; }

    /// <summary>Test hook: ends the polling of watched projects that follows a (re)connect, as if it were 30 s later.</summary>
    internal void EndRecoveryPolling() => Interlocked.Exchange(ref _recoverUntilTicks, 0);

    /// <summary>Projects this process follows in Redis (those with local subscribers).</summary>
    public int WatchedProjectCount => _feeds.Count;

    /// <summary>Redis subscriptions this process holds: one, whatever the number of clients.</summary>
    public int SubscriptionCount => Volatile.Read(ref _subscriptions);

    /// <summary>The name this process's connections carry in CLIENT LIST.</summary>
    public string ClientName => _redis.ClientName;

    public bool IsConnected => _redis.IsConnected;

    /// <summary>Announcements this process has received (each append once, however many clients).</summary>
    public long AnnouncementsReceived => Interlocked.Read(ref _announcementsReceived);

    /// <summary>Events published while Redis was unreachable and not yet written to it.</summary>
    public int BufferedCount => _outbox.Count;

    /// <summary>Age of the oldest buffered event, if any.</summary>
    public TimeSpan? OldestBufferedAge => _outbox.OldestEnqueuedAt is { } at ? _clock.GetUtcNow() - at : null;

    /// <summary>Events dropped because an outage outlasted <see cref="RedisOptions.OutageBufferSeconds"/>.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    public RedisKeys Keys => _keys;

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
            var pending = new PendingEvent(stageEvent with { Id = NextId(stageEvent.ProjectId) }, Guid.NewGuid().ToString("N"), _clock.GetUtcNow());
            if (BeforeAppend is { } hook)
            {
                await hook(pending.Event);
            }
            // Behind an outage's backlog, new events queue too, so each project's events reach Redis in order.
            if (_outbox.IsEmpty && !_repairNeeded && _redis.IsConnected)
            {
                try
                {
                    var appended = await WriteAsync(pending);
                    Interlocked.Exchange(ref _outageLogged, 0);
                    return appended;
                }
                catch (Exception ex) when (IsUnavailable(ex))
                {
                    NoteOutage();
                    LogOutage(ex);
                }
            }
            else
            {
                if (!_redis.IsConnected)
                {
                    NoteOutage();
                }
                LogOutage(null);
            }
            await BufferAsync(pending);
            return pending.Event;
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
                return await ReadOnceAsync(projectId, afterId, cancellationToken);
            }
            catch (Exception ex) when (IsUnavailable(ex) && ex is not ObjectDisposedException)
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

    private async Task<IReadOnlyList<StageEvent>> ReadOnceAsync(string projectId, long afterId, CancellationToken cancellationToken)
    {
        // The outbox first: an event flushed between the two reads is then in one of them, never in neither.
        var buffered = _outbox.Snapshot(projectId);
        if (!_hub.HasSubscribers(projectId))
        {
            // A look at the log, not a subscriber: nothing to follow, so no feed is kept for it.
            return Merge(await ReadStreamAsync(projectId, afterId, int.MaxValue), buffered, afterId);
        }
        ProjectFeed feed;
        while (true)
        {
            feed = _feeds.GetOrAdd(projectId, id => new ProjectFeed(id));
            await feed.Gate.WaitAsync(cancellationToken);
            var initialized = false;
            try
            {
                if (feed.Released)
                {
                    // Its last subscriber left after we looked it up: a fresh feed takes its place.
                    continue;
                }
                if (feed.Initialized)
                {
                    // Served from this process's copy, not with an XRANGE and a decode per client (a reconnect
                    // storm would multiply them): the copy holds exactly what was delivered here, and our
                    // subscriber, registered before this read, receives everything after it live. The feed
                    // stays while that subscriber does.
                    if (_hub.NeedsWarm(projectId))
                    {
                        // The hub dropped the project and a new subscriber came before the feed was dropped too.
                        _hub.Warm(projectId, feed.Log);
                    }
                    return Since(feed.Log, afterId);
                }
                // First reader in this process (or first since the project was dropped): the hub learns the
                // running texts from this very history, and live delivery continues right after it, so no
                // event falls between the two.
                var history = Merge(await ReadStreamAsync(projectId, 0, int.MaxValue), buffered, 0);
                if (AfterHistoryRead is { } hook)
                {
                    await hook(projectId);
                }
                _hub.Warm(projectId, history);
                feed.Log = [.. history];
                feed.Cursor = history.Count > 0 ? history[^1].Id : 0;
                NoteId(projectId, feed.Cursor);
                feed.Initialized = initialized = true;
                return afterId <= 0 ? history : [.. history.Where(e => e.Id > afterId)];
            }
            finally
            {
                feed.Gate.Release();
                if (initialized)
                {
                    // Announcements that came while the history was read are caught up now.
                    Signal(feed);
                }
            }
        }
    }

    /// <summary>The events of a feed's copy after <paramref name="afterId"/> (called under the feed's gate).</summary>
    private static List<StageEvent> Since(List<StageEvent> log, long afterId)
    {
        var start = FirstAfter(log, afterId);
        return log.GetRange(start, log.Count - start);
    }

    /// <summary>Index of the first event with an id greater than <paramref name="afterId"/> in an id-ordered list.</summary>
    private static int FirstAfter(List<StageEvent> log, long afterId)
    {
        int low = 0, high = log.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (log[middle].Id <= afterId)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }

    /// <summary>Adds an event delivered here to the feed's copy, keeping id order, and trims the copy like the stream (under the gate).</summary>
    private void Record(ProjectFeed feed, StageEvent e)
    {
        if (feed.Log.Count == 0 || feed.Log[^1].Id < e.Id)
        {
            feed.Log.Add(e);
        }
        else
        {
            feed.Log.Insert(FirstAfter(feed.Log, e.Id), e);
        }
        if (feed.Log.Count >= feed.NextTrimAt)
        {
            var retention = _options.RetentionSeconds ?? _retention.Value.RetentionSeconds;
            var keep = RetentionRules.Keep(feed.Log, _clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 - retention);
            feed.Log.RemoveAll(kept => !keep.Contains(kept.Id));
            feed.NextTrimAt = Math.Max(FirstTrimAt, feed.Log.Count * 2);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _redis.ConnectionRestored += OnConnectionRestored;
        _redis.ConnectionFailed += OnConnectionFailed;
        var subscribing = Task.Run(() => SubscribeAsync(_stopping.Token), CancellationToken.None);
        _background = Task.WhenAll(
            subscribing,
            Task.Run(() => FlushLoopAsync(_stopping.Token), CancellationToken.None),
            Task.Run(() => RecoveryLoopAsync(_stopping.Token), CancellationToken.None));
        // Serve with the subscription in place when Redis is there; without it, start anyway and keep trying.
        await Task.WhenAny(subscribing, Task.Delay(TimeSpan.FromSeconds(3), _clock, cancellationToken));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _redis.ConnectionRestored -= OnConnectionRestored;
        _redis.ConnectionFailed -= OnConnectionFailed;
        // One last chance for an outage's backlog, bounded so a dead Redis cannot hold up the stop.
        if (!_outbox.IsEmpty && _redis.IsConnected)
        {
            using var flushTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            flushTimeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await FlushAsync(flushTimeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        if (!_outbox.IsEmpty)
        {
            LogUnflushedAtStop(_outbox.Count);
        }
        await _stopping.CancelAsync();
        try
        {
            await _background.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        if (Interlocked.Exchange(ref _subscriptions, 0) > 0)
        {
            try
            {
                await _redis.GetSubscriber().UnsubscribeAsync(_announcements, null, CommandFlags.FireAndForget);
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
            }
        }
    }

    // ---- Appending ----

    private long NextId(string projectId)
    {
        var now = _clock.GetUtcNow();
        return _lastIds.AddOrUpdate(projectId, _ => EventIds.Next(0, now), (_, previous) => EventIds.Next(previous, now));
    }

    private void NoteId(string projectId, long id) => _lastIds.AddOrUpdate(projectId, id, (_, previous) => Math.Max(previous, id));

    /// <summary>Runs the append script; returns the event with the id Redis kept (normally the proposed one).</summary>
    private async Task<StageEvent> WriteAsync(PendingEvent pending, bool record = true)
    {
        var e = pending.Event;
        var json = JsonSerializer.Serialize(e, EventJsonContext.Wire.StageEvent);
        var result = (RedisValue[]?)await _redis.GetDatabase().ScriptEvaluateAsync(
            AppendScript.Source,
            [_keys.Stream(e.ProjectId)],
            [
                e.Id.ToString(CultureInfo.InvariantCulture),
                pending.Token,
                json,
                _options.MaxLength,
                _options.KeyTtlHours * 3600L,
                _keys.Announcements,
                e.ProjectId + " ",
                _options.PublishLegacyChannels ? RedisKeys.Legacy(e.ProjectId, e.Stage) : "",
            ]) ?? throw new RedisException("The append script returned nothing.");
        var id = (long)result[0];
        var length = (long)result[1];
        Interlocked.Exchange(ref _outageStartedTicks, 0);
        NoteId(e.ProjectId, id);
        if (id != e.Id)
        {
            LogIdReassigned(e.ProjectId, e.Id, id);
        }
        if (_feeds.TryGetValue(e.ProjectId, out var feed))
        {
            // Our own event: no need to wait for the announcement to come back.
            Signal(feed);
        }
        MaybeTrim(e.ProjectId, length);
        var written = id == e.Id ? e : e with { Id = id };
        if (record)
        {
            var now = _clock.GetUtcNow();
            _recent.Enqueue(new PendingEvent(written, pending.Token, now), now - Window, _options.OutageBufferMaxEvents);
        }
        return written;
    }

    private async Task BufferAsync(PendingEvent pending)
    {
        var dropped = _outbox.Enqueue(pending, ExpiredBefore(), _options.OutageBufferMaxEvents);
        CountDropped(dropped);
        _flushSignal.Writer.TryWrite(true);
        // Local clients see the event now; when it comes back from Redis under the same id, the cursor skips it.
        // Not cancellable: once buffered, the event is published and its local delivery must not be skipped.
        if (_feeds.TryGetValue(pending.Event.ProjectId, out var feed))
        {
            await feed.Gate.WaitAsync(CancellationToken.None);
            try
            {
                if (feed.Initialized && !feed.Released && pending.Event.Id > feed.Cursor)
                {
                    // Our own last writes before the outage may not have come back from Redis yet: they go first.
                    foreach (var written in _recent.Between(pending.Event.ProjectId, feed.Cursor, pending.Event.Id))
                    {
                        if (written.Id <= feed.Cursor)
                        {
                            continue;
                        }
                        feed.Cursor = written.Id;
                        Record(feed, written);
                        _hub.Deliver(written);
                    }
                    feed.Cursor = pending.Event.Id;
                    pending.DeliveredLocally = true;
                    Record(feed, pending.Event);
                    _hub.Deliver(pending.Event);
                }
            }
            finally
            {
                feed.Gate.Release();
            }
        }
    }

    private async Task FlushLoopAsync(CancellationToken stopping)
    {
        try
        {
            while (await _flushSignal.Reader.WaitToReadAsync(stopping))
            {
                _flushSignal.Reader.TryRead(out _);
                await FlushAsync(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Writes the outbox to Redis, oldest first, waiting while Redis is away.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushGate.WaitAsync(cancellationToken);
        try
        {
            await FlushLockedAsync(cancellationToken);
        }
        finally
        {
            _flushGate.Release();
        }
    }

    private async Task FlushLockedAsync(CancellationToken cancellationToken)
    {
        var flushed = 0;
        while (_repairNeeded || _outbox.TryPeek(out _))
        {
            if (!_redis.IsConnected)
            {
                // Only while Redis is away do events age out, and only once the outage outlasts the window.
                CountDropped(_outbox.DropBefore(ExpiredBefore()));
                await Task.Delay(TimeSpan.FromMilliseconds(200), _clock, cancellationToken);
                continue;
            }
            if (_repairNeeded)
            {
                try
                {
                    await RepairAsync();
                    _repairNeeded = false;
                }
                catch (Exception ex) when (IsUnavailable(ex))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), _clock, cancellationToken);
                }
                continue;
            }
            if (!_outbox.TryPeek(out var pending))
            {
                break;
            }
            // Connected: everything waiting is written, however long it waited (the outage is over).
            try
            {
                var written = await WriteAsync(pending);
                if (written.Id != pending.Event.Id && pending.DeliveredLocally && _feeds.TryGetValue(written.ProjectId, out var feed))
                {
                    // Already shown here under its first id: do not show it again under the new one.
                    await feed.Gate.WaitAsync(cancellationToken);
                    feed.Skip.Add(written.Id);
                    // The copy holds what Redis holds: the event under the id it was stored with.
                    if (feed.Log.FindIndex(e => e.Id == pending.Event.Id) is var index and >= 0)
                    {
                        feed.Log.RemoveAt(index);
                        Record(feed, written);
                    }
                    feed.Gate.Release();
                }
                _outbox.TryDequeue(pending);
                flushed++;
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), _clock, cancellationToken);
            }
        }
        if (flushed > 0)
        {
            Interlocked.Exchange(ref _outageLogged, 0);
            LogFlushed(flushed);
        }
    }

    /// <summary>
    /// After a lost connection: a Redis that restarted without persistence has forgotten recent events, some
    /// perhaps not yet read by other processes. Writes back, under their ids, this process's events of the
    /// last window that the stream no longer holds, before anything newer.
    /// </summary>
    private async Task RepairAsync()
    {
        var db = _redis.GetDatabase();
        var repaired = 0;
        foreach (var project in _recent.All(_clock.GetUtcNow() - Window).GroupBy(p => p.Event.ProjectId))
        {
            var newest = await db.StreamRangeAsync(_keys.Stream(project.Key), "-", "+", 1, Order.Descending);
            var last = newest.Length == 0 ? 0 : ParseEntryId(newest[0].Id);
            foreach (var pending in project.Where(p => p.Event.Id > last).OrderBy(p => p.Event.Id))
            {
                await WriteAsync(pending, record: false);
                repaired++;
            }
        }
        if (repaired > 0)
        {
            LogRepaired(repaired);
        }
    }

    private TimeSpan Window => TimeSpan.FromSeconds(_options.OutageBufferSeconds);

    private void NoteOutage() => Interlocked.CompareExchange(ref _outageStartedTicks, _clock.GetUtcNow().UtcTicks, 0);

    /// <summary>
    /// Buffered events older than this are dropped. Never while Redis is connected; while it is away, only once
    /// the outage (counted from its start) has outlasted the window and the reconnect grace.
    /// </summary>
    private DateTimeOffset ExpiredBefore()
    {
        var started = Interlocked.Read(ref _outageStartedTicks);
        if (_redis.IsConnected || started == 0)
        {
            return DateTimeOffset.MinValue;
        }
        var now = _clock.GetUtcNow();
        var limit = Window + ReconnectGrace;
        return now - new DateTimeOffset(started, TimeSpan.Zero) <= limit ? DateTimeOffset.MinValue : now - limit;
    }

    private void CountDropped(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _dropped, count);
            LogDropped(count, _options.OutageBufferSeconds);
        }
    }

    // ---- Trimming (retention) ----

    private void MaybeTrim(string projectId, long length)
    {
        if (length < _trimAt.GetValueOrDefault(projectId, FirstTrimAt) || !_trimming.TryAdd(projectId, 0))
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await TrimAsync(projectId);
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                _logger.LogDebug(ex, "Trimming the events of project {ProjectId} failed; it is tried again later.", projectId);
            }
            finally
            {
                _trimming.TryRemove(projectId, out _);
            }
        });
    }

    /// <summary>The rules of the in-memory log: keep the last hour and each stage's and the pipeline's latest run.</summary>
    private async Task TrimAsync(string projectId)
    {
        var events = await ReadStreamAsync(projectId, 0, int.MaxValue);
        var retention = _options.RetentionSeconds ?? _retention.Value.RetentionSeconds;
        var keep = RetentionRules.Keep(events, _clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 - retention);
        var drop = events.Where(e => !keep.Contains(e.Id)).Select(e => (RedisValue)EntryId(e.Id)).ToArray();
        var db = _redis.GetDatabase();
        foreach (var chunk in drop.Chunk(500))
        {
            await db.StreamDeleteAsync(_keys.Stream(projectId), chunk);
        }
        _trimAt[projectId] = Math.Max(FirstTrimAt, keep.Count * 2);
    }

    // ---- Delivering to this process ----

    private async Task SubscribeAsync(CancellationToken stopping)
    {
        // Exactly one subscription per process; Redis's client restores it after every reconnect.
        var retry = TimeSpan.FromMilliseconds(50);
        while (!stopping.IsCancellationRequested)
        {
            // A failed SUBSCRIBE can leave its handler registered in the client; only the latest attempt's handler acts.
            var attempt = Interlocked.Increment(ref _subscribeAttempt);
            try
            {
                await _redis.GetSubscriber().SubscribeAsync(_announcements, (channel, message) =>
                {
                    if (attempt == Volatile.Read(ref _subscribeAttempt))
                    {
                        OnAnnouncement(message);
                    }
                });
                Interlocked.Exchange(ref _subscriptions, 1);
                PumpAll();
                return;
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                _logger.LogDebug(ex, "Subscribing to {Channel} failed; trying again.", _keys.Announcements);
                try
                {
                    await Task.Delay(retry, _clock, stopping);
                    retry = TimeSpan.FromMilliseconds(Math.Min(1000, retry.TotalMilliseconds * 2));
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void OnAnnouncement(RedisValue message)
    {
        Interlocked.Increment(ref _announcementsReceived);
        var text = (string?)message;
        var space = text?.LastIndexOf(' ') ?? -1;
        if (space <= 0 || !long.TryParse(text.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return;
        }
        // Projects nobody here watches are ignored: their history is read when a client first asks. A feed
        // whose history is being read right now is signalled too: the pump waits for the read and then
        // catches up with anything the read missed.
        if (_feeds.TryGetValue(text![..space], out var feed) && (!feed.Initialized || id > Interlocked.Read(ref feed.CursorValue)))
        {
            Signal(feed);
        }
    }

    private void Signal(ProjectFeed feed)
    {
        if (Interlocked.Exchange(ref feed.Pending, 1) == 0)
        {
            _ = Task.Run(() => PumpAsync(feed));
        }
    }

    private void PumpAll()
    {
        foreach (var feed in _feeds.Values)
        {
            Signal(feed);
        }
    }

    /// <summary>Reads the project's new entries and delivers them in id order; one pump per project at a time.</summary>
    private async Task PumpAsync(ProjectFeed feed)
    {
        await feed.Gate.WaitAsync();
        try
        {
            while (Interlocked.Exchange(ref feed.Pending, 0) == 1)
            {
                // Not yet initialized: the first reader has not started its history read, which will hold
                // everything announced so far (an append is announced after it is stored).
                if (!feed.Initialized || feed.Released)
                {
                    return;
                }
                while (true)
                {
                    var batch = await ReadStreamAsync(feed.ProjectId, feed.Cursor, ReadBatch);
                    foreach (var e in batch)
                    {
                        if (e.Id <= feed.Cursor)
                        {
                            continue;
                        }
                        feed.Cursor = e.Id;
                        if (!feed.Skip.Remove(e.Id))
                        {
                            Record(feed, e);
                            _hub.Deliver(e);
                        }
                    }
                    NoteId(feed.ProjectId, feed.Cursor);
                    if (batch.Count < ReadBatch)
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            // Picked up again when the connection is restored.
            _logger.LogDebug(ex, "Reading new events of project {ProjectId} failed.", feed.ProjectId);
        }
        finally
        {
            feed.Gate.Release();
        }
    }

    /// <summary>
    /// The hub dropped a project (its last local subscriber left): stop following it, so it costs no XRANGE per
    /// announcement. A subscriber that arrived meanwhile keeps the feed; the next one re-reads the history.
    /// </summary>
    private void OnProjectReleased(string projectId)
    {
        if (!_feeds.TryGetValue(projectId, out var feed))
        {
            return;
        }
        // Raised inside the hub's delivery at times: never wait for the gate there.
        _ = Task.Run(async () =>
        {
            await feed.Gate.WaitAsync();
            try
            {
                if (!feed.Released && !_hub.HasSubscribers(projectId))
                {
                    feed.Released = true;
                    _feeds.TryRemove(new KeyValuePair<string, ProjectFeed>(projectId, feed));
                }
            }
            finally
            {
                feed.Gate.Release();
            }
        });
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        LogRestored(e.ConnectionType);
        // Announcements sent while we were away are lost: look at every watched project for a while.
        Interlocked.Exchange(ref _recoverUntilTicks, (_clock.GetUtcNow() + TimeSpan.FromSeconds(30)).UtcTicks);
        _flushSignal.Writer.TryWrite(true);
        PumpAll();
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        LogConnectionFailed(e.ConnectionType, e.FailureType);
        NoteOutage();
        // From now until the repair, appends queue behind it, so ids stay in order in the stream.
        _repairNeeded = true;
        _flushSignal.Writer.TryWrite(true);
    }

    /// <summary>After a reconnect, re-reads watched projects every second, since other processes flush their backlogs when they can.</summary>
    private async Task RecoveryLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                if (_clock.GetUtcNow().UtcTicks < Interlocked.Read(ref _recoverUntilTicks) && _redis.IsConnected)
                {
                    PumpAll();
                }
                if (!_outbox.IsEmpty || _repairNeeded)
                {
                    _flushSignal.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // ---- Reading ----

    private async Task<List<StageEvent>> ReadStreamAsync(string projectId, long afterId, int limit)
    {
        var db = _redis.GetDatabase();
        var key = _keys.Stream(projectId);
        var events = new List<StageEvent>();
        var from = afterId;
        while (events.Count < limit)
        {
            var count = Math.Min(ReadBatch, limit - events.Count);
            var entries = await db.StreamRangeAsync(key, EntryId(from + 1), "+", count);
            foreach (var entry in entries)
            {
                var id = ParseEntryId(entry.Id);
                from = Math.Max(from, id);
                var json = (string?)entry["e"];
                StageEvent? e = null;
                try
                {
                    e = json is null ? null : JsonSerializer.Deserialize(json, EventJsonContext.Wire.StageEvent);
                }
                catch (JsonException ex)
                {
                    _logger.LogWarning(ex, "Skipping unreadable entry {EntryId} of {Key}.", (string?)entry.Id, key);
                }
                if (e is not null)
                {
                    events.Add(e with { Id = id });
                }
            }
            if (entries.Length < count)
            {
                break;
            }
        }
        return events;
    }

    private static IReadOnlyList<StageEvent> Merge(List<StageEvent> stored, IReadOnlyList<StageEvent> buffered, long afterId)
    {
        if (buffered.Count == 0)
        {
            return stored;
        }
        var known = stored.Select(e => e.Id).ToHashSet();
        stored.AddRange(buffered.Where(e => e.Id > afterId && !known.Contains(e.Id)));
        stored.Sort((a, b) => a.Id.CompareTo(b.Id));
        return stored;
    }

    private static string EntryId(long id) => id.ToString(CultureInfo.InvariantCulture) + "-0";

    private static long ParseEntryId(RedisValue entryId)
    {
        var text = (string)entryId!;
        var dash = text.IndexOf('-');
        return long.Parse(dash < 0 ? text : text[..dash], CultureInfo.InvariantCulture);
    }

    private static bool IsUnavailable(Exception ex) =>
        ex is RedisException or TimeoutException or ObjectDisposedException or IOException;

    private void LogOutage(Exception? ex)
    {
        if (Interlocked.Exchange(ref _outageLogged, 1) == 0)
        {
            LogBuffering(ex?.Message ?? "not connected", _options.OutageBufferSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable ({Reason}); events are delivered locally and buffered for up to {Seconds} s until it returns.")]
    private partial void LogBuffering(string reason, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote {Count} buffered events to Redis.")]
    private partial void LogFlushed(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped {Count} buffered events: Redis was unavailable for longer than {Seconds} s (Redis:OutageBufferSeconds).")]
    private partial void LogDropped(int count, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis had lost {Count} recent events of this instance (a restart without persistence?); wrote them back.")]
    private partial void LogRepaired(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping with {Count} events that never reached Redis.")]
    private partial void LogUnflushedAtStop(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {Proposed} of project {ProjectId} was stored as {Stored}: another process wrote a later id first.")]
    private partial void LogIdReassigned(string projectId, long proposed, long stored);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection restored ({ConnectionType}).")]
    private partial void LogRestored(ConnectionType connectionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection failed ({ConnectionType}: {FailureType}).")]
    private partial void LogConnectionFailed(ConnectionType connectionType, ConnectionFailureType failureType);

    /// <summary>This process's reading position in one project's stream.</summary>
    private sealed class ProjectFeed(string projectId)
    {
        public string ProjectId { get; } = projectId;

        /// <summary>Held while reading the stream or delivering to the hub, so the hub sees the project's events one at a time, in order.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public long CursorValue;
        public int Pending;

        /// <summary>Set once the history has been read and given to the hub; before that, the pump does nothing.</summary>
        public volatile bool Initialized;

        /// <summary>Set (under <see cref="Gate"/>) when the feed is dropped because no local subscriber is left.</summary>
        public volatile bool Released;

        /// <summary>The last id handed to the hub (written under <see cref="Gate"/>).</summary>
        public long Cursor
        {
            get => Interlocked.Read(ref CursorValue);
            set => Interlocked.Exchange(ref CursorValue, value);
        }

        /// <summary>
        /// The project's retained events as delivered here, in id order (under <see cref="Gate"/>): what later
        /// subscribers replay from, without reading Redis. Trimmed by the retention rules, dropped with the feed.
        /// </summary>
        public List<StageEvent> Log { get; set; } = [];

        public int NextTrimAt { get; set; } = FirstTrimAt;

        /// <summary>Ids of buffered events that Redis stored under a new id after they were delivered here.</summary>
        public HashSet<long> Skip { get; } = [];
    }

    private sealed class PendingEvent(StageEvent stageEvent, string token, DateTimeOffset enqueuedAt)
    {
        public StageEvent Event { get; } = stageEvent;

        /// <summary>Lets a retried append recognise its own entry if the first attempt did reach Redis.</summary>
        public string Token { get; } = token;

        public DateTimeOffset EnqueuedAt { get; } = enqueuedAt;
        public bool DeliveredLocally { get; set; }
    }

    /// <summary>Events in arrival order: those waiting for Redis, or (a second instance) those recently written.</summary>
    private sealed class Outbox
    {
        private readonly Lock _gate = new();
        private readonly LinkedList<PendingEvent> _items = [];

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsEmpty => Count == 0;

        public DateTimeOffset? OldestEnqueuedAt
        {
            get
            {
                lock (_gate)
                {
                    return _items.First?.Value.EnqueuedAt;
                }
            }
        }

        /// <summary>Adds the event; returns how many old ones were dropped to respect the window and the cap.</summary>
        public int Enqueue(PendingEvent pending, DateTimeOffset expiredBefore, int maxEvents)
        {
            lock (_gate)
            {
                var dropped = 0;
                while (_items.First is { } first && (first.Value.EnqueuedAt < expiredBefore || _items.Count >= maxEvents))
                {
                    _items.RemoveFirst();
                    dropped++;
                }
                _items.AddLast(pending);
                return dropped;
            }
        }

        /// <summary>Drops the events enqueued before <paramref name="expiredBefore"/>; returns how many.</summary>
        public int DropBefore(DateTimeOffset expiredBefore)
        {
            lock (_gate)
            {
                var dropped = 0;
                while (_items.First is { } first && first.Value.EnqueuedAt < expiredBefore)
                {
                    _items.RemoveFirst();
                    dropped++;
                }
                return dropped;
            }
        }

        public bool TryPeek(out PendingEvent pending)
        {
            lock (_gate)
            {
                pending = _items.First?.Value!;
                return pending is not null;
            }
        }

        public bool TryDequeue(PendingEvent expected)
        {
            lock (_gate)
            {
                if (_items.First?.Value != expected)
                {
                    return false;
                }
                _items.RemoveFirst();
                return true;
            }
        }

        public List<PendingEvent> All(DateTimeOffset notBefore)
        {
            lock (_gate)
            {
                while (_items.First is { } first && first.Value.EnqueuedAt < notBefore)
                {
                    _items.RemoveFirst();
                }
                return [.. _items];
            }
        }

        /// <summary>The project's events with ids strictly between the two, in id order, looking back from the newest.</summary>
        public List<StageEvent> Between(string projectId, long afterId, long beforeId)
        {
            var found = new List<StageEvent>();
            lock (_gate)
            {
                for (var node = _items.Last; node is not null; node = node.Previous)
                {
                    var e = node.Value.Event;
                    if (e.ProjectId != projectId)
                    {
                        continue;
                    }
                    if (e.Id <= afterId)
                    {
                        break;
                    }
                    if (e.Id < beforeId)
                    {
                        found.Add(e);
                    }
                }
            }
            found.Reverse();
            return found;
        }

        public IReadOnlyList<StageEvent> Snapshot(string projectId)
        {
            lock (_gate)
            {
                return _items.Count == 0 ? [] : [.. _items.Where(p => p.Event.ProjectId == projectId).Select(p => p.Event)];
            }
        }
    }
}

/// <summary>
/// One append, atomically: the proposed id (<see cref="EventIds"/> scheme) is kept unless the stream already
/// holds a later one, in which case the next free id is used; a retry of an append that did reach Redis is
/// recognised by its token. Then XADD with approximate MAXLEN, refresh the expiry, and announce.
/// Lua numbers are doubles: ids (about 1.8e15) stay exact, as in JavaScript.
/// </summary>
internal static class AppendScript
{
    public const string Source = """
        local key = KEYS[1]
        local proposed = tonumber(ARGV[1])
        local last = 0
        if redis.call('EXISTS', key) == 1 then
          local info = redis.call('XINFO', 'STREAM', key)
          for i = 1, #info, 2 do
            if info[i] == 'last-generated-id' then
              last = tonumber(string.match(info[i + 1], '^(%d+)'))
            end
          end
        end
        local id = proposed
        if proposed <= last then
          local existing = redis.call('XRANGE', key, ARGV[1] .. '-0', ARGV[1] .. '-0')
          if #existing == 1 then
            local fields = existing[1][2]
            for i = 1, #fields, 2 do
              if fields[i] == 'u' and fields[i + 1] == ARGV[2] then
                return { ARGV[1], redis.call('XLEN', key) }
              end
            end
          end
          id = last + 1
        end
        local sid = string.format('%.0f', id)
        redis.call('XADD', key, 'MAXLEN', '~', ARGV[4], sid .. '-0', 'e', ARGV[3], 'u', ARGV[2])
        if tonumber(ARGV[5]) > 0 then
          redis.call('EXPIRE', key, ARGV[5])
        end
        redis.call('PUBLISH', ARGV[6], ARGV[7] .. sid)
        if ARGV[8] ~= '' then
          redis.call('PUBLISH', ARGV[8], ARGV[3])
        end
        return { sid, redis.call('XLEN', key) }
        """;
}
