using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;
using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

public static class RedisExtensions
{
    /// <summary>
    /// With <c>ConnectionStrings:Redis</c> set, events travel through Redis so several instances share them
    /// (issue 5); without it the in-process transport stays. The app starts even when Redis is unreachable.
    /// </summary>
    public static void AddRedisTransport(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(RedisOptions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return;
        }
        builder.Services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IConnectionMultiplexer>(services => ConnectionMultiplexer.Connect(ConfigurationFor(connectionString)));
        builder.Services.AddSingleton<RedisEventTransport>();
        builder.Services.RemoveAll<IEventTransport>();
        builder.Services.AddSingleton<IEventTransport>(services => services.GetRequiredService<RedisEventTransport>());
        builder.Services.AddHostedService(services => services.GetRequiredService<RedisEventTransport>());
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
    }

    /// <summary>The connection string's settings, with what a shared event bus needs on top.</summary>
    internal static ConfigurationOptions ConfigurationFor(string connectionString)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        // Start and keep serving without Redis; reconnect in the background.
        configuration.AbortOnConnectFail = false;
        // While disconnected, fail at once: the transport buffers events itself, in order.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        // No config-change channel: the process's only subscription is the announcement channel.
        configuration.ConfigurationChannel = "";
        // A name per process, so CLIENT LIST shows which connection belongs to which instance.
        configuration.ClientName ??= $"stagestream-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        return configuration;
    }
}
