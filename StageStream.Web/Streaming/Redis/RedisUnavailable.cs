using StackExchange.Redis;

namespace StageStream.Web.Streaming.Redis;

/// <summary>The failures that mean "Redis is away for now": retried or buffered, not reported as bugs.</summary>
internal static class RedisUnavailable
{
    public static bool Is(Exception ex) =>
        ex is RedisException or TimeoutException or ObjectDisposedException or IOException;
}
