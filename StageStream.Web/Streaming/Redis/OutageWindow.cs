using StackExchange.Redis;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// How long this process has seen Redis away, and so which buffered events have aged out: none while Redis is
/// connected; while it is away, those older than <see cref="RedisOptions.OutageBufferSeconds"/> once the outage
/// has outlasted that window and the reconnect grace.
/// </summary>
internal sealed class OutageWindow(IConnectionMultiplexer redis, RedisOptions options, TimeProvider clock)
{
    /// <summary>
    /// The client's reconnect back-off (at most 2 s, see RedisExtensions) and its 1 s heartbeat: an outage of
    /// the configured window is only over for this process that much later, and must not cost events.
    /// </summary>
    private static readonly TimeSpan ReconnectGrace = TimeSpan.FromSeconds(5);

    // When this process first saw Redis unavailable (UTC ticks); 0 while it is reachable.
    private long _startedTicks;
    private long _dropped;

    public TimeSpan Window => TimeSpan.FromSeconds(options.OutageBufferSeconds);

    /// <summary>Events dropped because an outage outlasted the window.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Redis was found unavailable (the first time since it was last reachable starts the outage).</summary>
    public void Began() => Interlocked.CompareExchange(ref _startedTicks, clock.GetUtcNow().UtcTicks, 0);

    /// <summary>A write reached Redis.</summary>
    public void Ended() => Interlocked.Exchange(ref _startedTicks, 0);

    public void CountDropped(int count) => Interlocked.Add(ref _dropped, count);

    /// <summary>Buffered events enqueued before this are dropped.</summary>
    public DateTimeOffset ExpiredBefore()
    {
        var started = Interlocked.Read(ref _startedTicks);
        if (redis.IsConnected || started == 0)
        {
            return DateTimeOffset.MinValue;
        }
        var now = clock.GetUtcNow();
        var limit = Window + ReconnectGrace;
        return now - new DateTimeOffset(started, TimeSpan.Zero) <= limit ? DateTimeOffset.MinValue : now - limit;
    }
}
