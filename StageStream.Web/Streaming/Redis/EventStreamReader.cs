using System.Text.Json;
using StackExchange.Redis;
using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>Reads a project's events from its Redis stream (XRANGE), decoded and in id order.</summary>
internal sealed class EventStreamReader(IConnectionMultiplexer redis, RedisKeys keys, ILogger logger)
{
    /// <summary>Entries per XRANGE.</summary>
    public const int Batch = 1000;

    /// <summary>Up to <paramref name="limit"/> events with an id greater than <paramref name="afterId"/>; unreadable entries are skipped.</summary>
    public async Task<List<StageEvent>> ReadAsync(string projectId, long afterId, int limit = int.MaxValue)
    {
        var db = redis.GetDatabase();
        var key = keys.Stream(projectId);
        var events = new List<StageEvent>();
        var from = afterId;
        while (events.Count < limit)
        {
            var count = Math.Min(Batch, limit - events.Count);
            var entries = await db.StreamRangeAsync(key, StreamEntryId.Of(from + 1), "+", count);
            foreach (var entry in entries)
            {
                var id = StreamEntryId.Parse(entry.Id);
                from = Math.Max(from, id);
                if (Decode(entry, key) is { } e)
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

    /// <summary>The id of the project's newest stored event, 0 if it has none.</summary>
    public async Task<long> NewestIdAsync(string projectId)
    {
        var newest = await redis.GetDatabase().StreamRangeAsync(keys.Stream(projectId), "-", "+", 1, Order.Descending);
        return newest.Length == 0 ? 0 : StreamEntryId.Parse(newest[0].Id);
    }

    /// <summary>Stored events with the buffered ones after <paramref name="afterId"/> that Redis does not hold yet, in id order.</summary>
    public static IReadOnlyList<StageEvent> WithBuffered(List<StageEvent> stored, IReadOnlyList<StageEvent> buffered, long afterId)
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

    private StageEvent? Decode(StreamEntry entry, string key)
    {
        var json = (string?)entry["e"];
        try
        {
            return json is null ? null : JsonSerializer.Deserialize(json, EventJsonContext.Wire.StageEvent);
        }
        catch (JsonException ex)
        {
            logger.LogWarning(ex, "Skipping unreadable entry {EntryId} of {Key}.", (string?)entry.Id, key);
            return null;
        }
    }
}
