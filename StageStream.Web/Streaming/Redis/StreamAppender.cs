using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;
using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// Writes one event to its project's stream with <see cref="AppendScript"/> (id, XADD, announcement, all at
/// once), then tells this process's feed and the trimmer.
/// </summary>
internal sealed partial class StreamAppender(
    IConnectionMultiplexer redis, RedisKeys keys, RedisOptions options, LastEventIds ids, ProjectFeeds feeds,
    RetentionTrimmer trimmer, ILogger logger)
{
    private readonly ILogger _logger = logger;

    /// <summary>Runs the append script; returns the event with the id Redis kept (normally the proposed one).</summary>
    /// <exception cref="RedisException">Redis is unavailable (see <see cref="RedisUnavailable"/>), among others.</exception>
    public async Task<StageEvent> WriteAsync(PendingEvent pending)
    {
        var e = pending.Event;
        var json = JsonSerializer.Serialize(e, EventJsonContext.Wire.StageEvent);
        var result = (RedisValue[]?)await redis.GetDatabase().ScriptEvaluateAsync(
            AppendScript.Source,
            [keys.Stream(e.ProjectId)],
            [
                e.Id.ToString(CultureInfo.InvariantCulture),
                pending.Token,
                json,
                options.MaxLength,
                options.KeyTtlHours * 3600L,
                keys.Announcements,
                e.ProjectId + " ",
                options.PublishLegacyChannels ? RedisKeys.Legacy(e.ProjectId, e.Stage) : "",
            ]) ?? throw new RedisException("The append script returned nothing.");
        var id = (long)result[0];
        var length = (long)result[1];
        ids.Note(e.ProjectId, id);
        if (id != e.Id)
        {
            LogIdReassigned(e.ProjectId, e.Id, id);
        }
        feeds.Wrote(e.ProjectId);
        trimmer.MaybeTrim(e.ProjectId, length);
        return id == e.Id ? e : e with { Id = id };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {Proposed} of project {ProjectId} was stored as {Stored}: another process wrote a later id first.")]
    private partial void LogIdReassigned(string projectId, long proposed, long stored);
}

/// <summary>
/// One append, atomically: the proposed id (<see cref="EventIds"/> scheme) is kept unless the stream already
/// holds a later one, in which case the next free id is used; a retry of an append that did reach Redis is
/// recognised by its token. Then XADD with approximate MAXLEN, refresh the expiry, and announce
/// (<c>"{projectId} {id}"</c> on <see cref="RedisKeys.Announcements"/>).
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
