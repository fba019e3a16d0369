using StackExchange.Redis;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// Follows the connection: when it fails, appends queue behind a repair; when it is restored, announcements
/// sent meanwhile are lost, so watched projects are re-read every second for 30 s (other processes flush their
/// backlogs when they can), and the outbox is nudged every second while anything waits in it.
/// </summary>
internal sealed partial class ReconnectRecovery(
    IConnectionMultiplexer redis, ProjectFeeds feeds, OutageOutbox outbox, TimeProvider clock, ILogger logger)
{
    private static readonly TimeSpan PollingAfterReconnect = TimeSpan.FromSeconds(30);

    private readonly ILogger _logger = logger;
    private long _pollUntilTicks;

    public void Attach()
    {
        redis.ConnectionRestored += OnConnectionRestored;
        redis.ConnectionFailed += OnConnectionFailed;
    }

    public void Detach()
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        redis.ConnectionFailed -= OnConnectionFailed;
    }

    /// <summary>Ends the polling that follows a (re)connect, as if it were 30 s later.</summary>
    public void EndPolling() => Interlocked.Exchange(ref _pollUntilTicks, 0);

    public async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                if (clock.GetUtcNow().UtcTicks < Interlocked.Read(ref _pollUntilTicks) && redis.IsConnected)
                {
                    feeds.PumpAll();
                }
                outbox.RequestFlushIfPending();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        LogRestored(e.ConnectionType);
        Interlocked.Exchange(ref _pollUntilTicks, (clock.GetUtcNow() + PollingAfterReconnect).UtcTicks);
        outbox.RequestFlush();
        feeds.PumpAll();
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        LogConnectionFailed(e.ConnectionType, e.FailureType);
        outbox.ConnectionLost();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis connection restored ({ConnectionType}).")]
    private partial void LogRestored(ConnectionType connectionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis connection failed ({ConnectionType}: {FailureType}).")]
    private partial void LogConnectionFailed(ConnectionType connectionType, ConnectionFailureType failureType);
}
