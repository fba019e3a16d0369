using System.Globalization;
using StackExchange.Redis;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// This process's one subscription to the announcement channel, whatever the number of clients: each message
/// (<c>"{projectId} {id}"</c>) tells the <see cref="ProjectFeeds"/> that an entry was appended. Redis's client
/// restores the subscription after every reconnect.
/// </summary>
internal sealed class AnnouncementSubscription(IConnectionMultiplexer redis, RedisKeys keys, ProjectFeeds feeds, TimeProvider clock, ILogger logger)
{
    private readonly RedisChannel _channel = RedisChannel.Literal(keys.Announcements);
    private int _subscriptions;
    private int _attempt;
    private long _received;

    /// <summary>Redis subscriptions held: 0 or 1.</summary>
    public int Count => Volatile.Read(ref _subscriptions);

    /// <summary>Announcements received and handled (each append once, however many clients).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Subscribes, retrying with a growing pause until it succeeds or <paramref name="stopping"/> fires.</summary>
    public async Task SubscribeAsync(CancellationToken stopping)
    {
        var retry = TimeSpan.FromMilliseconds(50);
        while (!stopping.IsCancellationRequested)
        {
            // A failed SUBSCRIBE can leave its handler registered in the client; only the latest attempt's handler acts.
            var attempt = Interlocked.Increment(ref _attempt);
            try
            {
                await redis.GetSubscriber().SubscribeAsync(_channel, (_, message) =>
                {
                    if (attempt == Volatile.Read(ref _attempt))
                    {
                        OnAnnouncement(message);
                    }
                });
                Interlocked.Exchange(ref _subscriptions, 1);
                // Appends announced before the subscription was in place.
                feeds.PumpAll();
                return;
            }
            catch (Exception ex) when (RedisUnavailable.Is(ex))
            {
                logger.LogDebug(ex, "Subscribing to {Channel} failed; trying again.", keys.Announcements);
                try
                {
                    await Task.Delay(retry, clock, stopping);
                    retry = TimeSpan.FromMilliseconds(Math.Min(1000, retry.TotalMilliseconds * 2));
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public async Task UnsubscribeAsync()
    {
        if (Interlocked.Exchange(ref _subscriptions, 0) == 0)
        {
            return;
        }
        try
        {
            await redis.GetSubscriber().UnsubscribeAsync(_channel, null, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (RedisUnavailable.Is(ex))
        {
        }
    }

    private void OnAnnouncement(RedisValue message)
    {
        var text = (string?)message;
        var space = text?.LastIndexOf(' ') ?? -1;
        if (space > 0 && long.TryParse(text.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            feeds.Appended(text![..space], id);
        }
        // Counted once handled, so a test that waits for the count knows the feeds have been told.
        Interlocked.Increment(ref _received);
    }
}
