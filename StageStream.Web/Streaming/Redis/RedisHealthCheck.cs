using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// Redis reachable or not. Unreachable is Degraded, not Unhealthy: the instance still serves pages and runs
/// stages, holding its events until Redis returns, so a load balancer should keep sending it traffic.
/// </summary>
public sealed class RedisHealthCheck(RedisEventTransport transport, StackExchange.Redis.IConnectionMultiplexer redis, IOptions<RedisOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["buffered_events"] = transport.BufferedCount,
            ["dropped_events"] = transport.DroppedCount,
            ["subscriptions"] = transport.SubscriptionCount,
        };
        var endpoints = string.Join(", ", redis.GetEndPoints().Select(e => e.ToString()));
        if (redis.IsConnected)
        {
            try
            {
                var watch = Stopwatch.StartNew();
                await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
                data["ping_ms"] = Math.Round(watch.Elapsed.TotalMilliseconds, 1);
                return transport.BufferedCount > 0
                    ? HealthCheckResult.Degraded($"Redis at {endpoints} is back; writing {transport.BufferedCount} buffered events.", data: data)
                    : HealthCheckResult.Healthy($"Redis at {endpoints} is available.", data);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                return Unavailable(endpoints, ex.Message, data);
            }
        }
        return Unavailable(endpoints, "not connected", data);
    }

    private HealthCheckResult Unavailable(string endpoints, string reason, Dictionary<string, object> data)
    {
        var oldest = transport.OldestBufferedAge is { } age ? $", the oldest {age.TotalSeconds:0} s old" : "";
        return HealthCheckResult.Degraded(
            $"Redis at {endpoints} is unavailable ({reason}). Events are delivered to this instance's clients only, " +
            $"{transport.BufferedCount} buffered{oldest}; they are written to Redis when it returns, if within " +
            $"{options.Value.OutageBufferSeconds} s.", data: data);
    }
}
