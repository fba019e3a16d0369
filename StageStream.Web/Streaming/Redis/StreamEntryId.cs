using System.Globalization;
using StackExchange.Redis;

namespace StageStream.Web.Streaming.Redis;

/// <summary>An event's entry in its project's stream has the id <c>{eventId}-0</c>.</summary>
internal static class StreamEntryId
{
    public static string Of(long eventId) => eventId.ToString(CultureInfo.InvariantCulture) + "-0";

    /// <summary>The event id of an entry id.</summary>
    public static long Parse(RedisValue entryId)
    {
        var text = (string)entryId!;
        var dash = text.IndexOf('-');
        return long.Parse(dash < 0 ? text : text[..dash], CultureInfo.InvariantCulture);
    }
}
