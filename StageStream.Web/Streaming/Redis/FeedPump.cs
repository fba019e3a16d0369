using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// Reads a followed project's new entries from Redis and hands them to the <see cref="EventHub"/> in id order,
/// one pump per project at a time; signalled when an entry is appended.
/// </summary>
internal sealed class FeedPump(EventHub hub, EventStreamReader reader, LastEventIds ids, RetentionTrimmer retention, ILogger logger)
{
    /// <summary>Hands an event to the hub and records it in the copy (under the gate).</summary>
    public void Deliver(ProjectFeed feed, StageEvent e)
    {
        feed.Cursor = e.Id;
        feed.Record(e, retention);
        hub.Deliver(e);
    }

    public void Signal(ProjectFeed feed)
    {
        if (Interlocked.Exchange(ref feed.Pending, 1) == 0)
        {
            _ = Task.Run(() => PumpAsync(feed));
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
                await CatchUpAsync(feed);
            }
        }
        catch (Exception ex) when (RedisUnavailable.Is(ex))
        {
            // Picked up again when the connection is restored.
            logger.LogDebug(ex, "Reading new events of project {ProjectId} failed.", feed.ProjectId);
        }
        finally
        {
            feed.Gate.Release();
        }
    }

    private async Task CatchUpAsync(ProjectFeed feed)
    {
        while (true)
        {
            var batch = await reader.ReadAsync(feed.ProjectId, feed.Cursor, EventStreamReader.Batch);
            foreach (var e in batch)
            {
                if (e.Id <= feed.Cursor)
                {
                    continue;
                }
                if (feed.Skip.Remove(e.Id))
                {
                    feed.Cursor = e.Id;
                }
                else
                {
                    Deliver(feed, e);
                }
            }
            ids.Note(feed.ProjectId, feed.Cursor);
            if (batch.Count < EventStreamReader.Batch)
            {
                return;
            }
        }
    }
}
