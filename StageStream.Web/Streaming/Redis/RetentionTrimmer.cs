using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// Retention, as for the in-memory log: a project keeps its events of the retention period and each stage's
/// and the pipeline's latest run. Applied to the Redis stream in the background once it has grown to twice
/// what was kept last time, and to each process's copy (<see cref="ProjectFeed"/>).
/// </summary>
internal sealed class RetentionTrimmer(
    IConnectionMultiplexer redis, RedisKeys keys, EventStreamReader reader, RedisOptions options,
    IOptions<EventRetentionOptions> retention, TimeProvider clock, ILogger logger)
{
    /// <summary>A stream or copy is not trimmed before it holds this many events.</summary>
    public const int FirstTrimAt = 1024;

    private readonly ConcurrentDictionary<string, int> _trimAt = new();
    private readonly ConcurrentDictionary<string, byte> _trimming = new();

    /// <summary>The ids of <paramref name="events"/> to keep.</summary>
    public HashSet<long> Keep(IReadOnlyList<StageEvent> events)
    {
        var seconds = options.RetentionSeconds ?? retention.Value.RetentionSeconds;
        return RetentionRules.Keep(events, clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 - seconds);
    }

    /// <summary>After an append left the stream with <paramref name="length"/> entries: trims it in the background if due.</summary>
    public void MaybeTrim(string projectId, long length)
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
            catch (Exception ex) when (RedisUnavailable.Is(ex))
            {
                logger.LogDebug(ex, "Trimming the events of project {ProjectId} failed; it is tried again later.", projectId);
            }
            finally
            {
                _trimming.TryRemove(projectId, out _);
            }
        });
    }

    private async Task TrimAsync(string projectId)
    {
        var events = await reader.ReadAsync(projectId, 0);
        var keep = Keep(events);
        var drop = events.Where(e => !keep.Contains(e.Id)).Select(e => (RedisValue)StreamEntryId.Of(e.Id)).ToArray();
        var db = redis.GetDatabase();
        foreach (var chunk in drop.Chunk(500))
        {
            await db.StreamDeleteAsync(keys.Stream(projectId), chunk);
        }
        _trimAt[projectId] = Math.Max(FirstTrimAt, keep.Count * 2);
    }
}
