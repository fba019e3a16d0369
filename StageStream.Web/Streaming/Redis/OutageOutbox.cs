using System.Threading.Channels;
using StackExchange.Redis;
using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// Appends that survive a Redis outage. While Redis is unreachable, events wait here in order (delivered to
/// this process's clients at once) and are written, in order and under the same ids, when it returns. After a
/// lost connection, this process's events of the last window that Redis no longer holds are written back first.
/// </summary>
internal sealed partial class OutageOutbox(
    IConnectionMultiplexer redis, StreamAppender appender, ProjectFeeds feeds, EventStreamReader reader,
    RedisOptions options, OutageWindow outage, TimeProvider clock, ILogger logger)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly ILogger _logger = logger;
    private readonly Outbox _waiting = new();
    // This process's recent writes, for the repair and to deliver a buffered event after its predecessors.
    private readonly Outbox _recent = new();
    private readonly Channel<bool> _flushSignal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private volatile bool _repairNeeded;
    // 1 once this outage has been logged, so it is logged once.
    private int _outageLogged;

    /// <summary>Events waiting for Redis.</summary>
    public int Count => _waiting.Count;

    public DateTimeOffset? OldestEnqueuedAt => _waiting.OldestEnqueuedAt;

    /// <summary>The project's events waiting for Redis.</summary>
    public IReadOnlyList<StageEvent> Waiting(string projectId) => _waiting.Snapshot(projectId);

    /// <summary>Writes the event to Redis, or buffers it (and delivers it here) when Redis is away or a backlog waits.</summary>
    public async Task<StageEvent> AppendAsync(PendingEvent pending)
    {
        // Behind an outage's backlog, new events queue too, so each project's events reach Redis in order.
        if (_waiting.IsEmpty && !_repairNeeded && redis.IsConnected)
        {
            try
            {
                var appended = await WriteAsync(pending);
                Interlocked.Exchange(ref _outageLogged, 0);
                return appended;
            }
            catch (Exception ex) when (RedisUnavailable.Is(ex))
            {
                outage.Began();
                LogOutage(ex);
            }
        }
        else
        {
            if (!redis.IsConnected)
            {
                outage.Began();
            }
            LogOutage(null);
        }
        CountDropped(_waiting.Enqueue(pending, outage.ExpiredBefore(), options.OutageBufferMaxEvents));
        RequestFlush();
        await feeds.DeliverBufferedAsync(pending, _recent);
        return pending.Event;
    }

    /// <summary>The connection dropped: until the repair, appends queue behind it, so ids stay in order in the stream.</summary>
    public void ConnectionLost()
    {
        outage.Began();
        _repairNeeded = true;
        RequestFlush();
    }

    public void RequestFlush() => _flushSignal.Writer.TryWrite(true);

    /// <summary>Asks for a flush if anything waits (a periodic nudge).</summary>
    public void RequestFlushIfPending()
    {
        if (!_waiting.IsEmpty || _repairNeeded)
        {
            RequestFlush();
        }
    }

    public async Task RunFlushLoopAsync(CancellationToken stopping)
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

    /// <summary>One last chance for an outage's backlog, bounded so a dead Redis cannot hold up the stop.</summary>
    public async Task FlushBeforeStopAsync(CancellationToken cancellationToken)
    {
        if (!_waiting.IsEmpty && redis.IsConnected)
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
        if (!_waiting.IsEmpty)
        {
            LogUnflushedAtStop(_waiting.Count);
        }
    }

    /// <summary>Writes the event and remembers it for a repair.</summary>
    private async Task<StageEvent> WriteAsync(PendingEvent pending)
    {
        var written = await appender.WriteAsync(pending);
        outage.Ended();
        var now = clock.GetUtcNow();
        _recent.Enqueue(new PendingEvent(written, pending.Token, now), now - outage.Window, options.OutageBufferMaxEvents);
        return written;
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
        while (_repairNeeded || _waiting.TryPeek(out _))
        {
            if (!redis.IsConnected)
            {
                // Only while Redis is away do events age out, and only once the outage outlasts the window.
                CountDropped(_waiting.DropBefore(outage.ExpiredBefore()));
                await Task.Delay(RetryDelay, clock, cancellationToken);
                continue;
            }
            try
            {
                if (_repairNeeded)
                {
                    await RepairAsync();
                    _repairNeeded = false;
                    continue;
                }
                if (!_waiting.TryPeek(out var pending))
                {
                    break;
                }
                // Connected: everything waiting is written, however long it waited (the outage is over).
                var written = await WriteAsync(pending);
                if (written.Id != pending.Event.Id && pending.DeliveredLocally)
                {
                    await feeds.StoredUnderNewIdAsync(pending.Event, written, cancellationToken);
                }
                _waiting.TryDequeue(pending);
                flushed++;
            }
            catch (Exception ex) when (RedisUnavailable.Is(ex))
            {
                await Task.Delay(RetryDelay, clock, cancellationToken);
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
        var repaired = 0;
        foreach (var project in _recent.All(clock.GetUtcNow() - outage.Window).GroupBy(p => p.Event.ProjectId))
        {
            var last = await reader.NewestIdAsync(project.Key);
            foreach (var pending in project.Where(p => p.Event.Id > last).OrderBy(p => p.Event.Id))
            {
                await appender.WriteAsync(pending);
                outage.Ended();
                repaired++;
            }
        }
        if (repaired > 0)
        {
            LogRepaired(repaired);
        }
    }

    private void CountDropped(int count)
    {
        if (count > 0)
        {
            outage.CountDropped(count);
            LogDropped(count, options.OutageBufferSeconds);
        }
    }

    private void LogOutage(Exception? ex)
    {
        if (Interlocked.Exchange(ref _outageLogged, 1) == 0)
        {
            LogBuffering(ex?.Message ?? "not connected", options.OutageBufferSeconds);
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
}
