using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StageStream.Core.Events;
using StageStream.Core.Events.Log;

namespace StageStream.Web.Streaming.Redis;

public static class RedisExtensions
{
    /// <summary>
    /// With <c>ConnectionStrings:Redis</c> set, events travel through Redis so several instances share them
    /// (issue 5); without it the durable log in the database stays. The app starts even when Redis is unreachable.
    /// The choice is made when the services are first resolved, so configuration added after this call counts.
    /// </summary>
    public static void AddRedisTransport(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IConnectionMultiplexer>(provider => ConnectionMultiplexer.Connect(ConfigurationFor(ConnectionString(provider)
            ?? throw new InvalidOperationException($"ConnectionStrings:{RedisOptions.ConnectionStringName} is not set."))));
        services.AddSingleton<RedisEventTransport>();
        services.RemoveAll<IEventTransport>();
        services.AddSingleton<IEventTransport>(provider => ConnectionString(provider) is null
            ? provider.GetRequiredService<DatabaseEventTransport>()
            : provider.GetRequiredService<RedisEventTransport>());
        services.AddHostedService<RedisTransportStarter>();
        services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(provider => new ConfigureOptions<HealthCheckServiceOptions>(options =>
        {
            if (ConnectionString(provider) is not null)
            {
                options.Registrations.Add(new HealthCheckRegistration(
                    "redis", checks => ActivatorUtilities.CreateInstance<RedisHealthCheck>(checks), HealthStatus.Degraded, ["ready"]));
            }
        }));
    }

    internal static string? ConnectionString(IServiceProvider provider)
    {
        var value = provider.GetRequiredService<IConfiguration>().GetConnectionString(RedisOptions.ConnectionStringName);
        return string.IsNullOrWhiteSpace(value) ? null : value;
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
        // A name per process, so CLIENT LIST shows which connections belong to which instance.
        configuration.ClientName ??= $"stagestream-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        return configuration;
    }

    /// <summary>
    /// Starts the Redis transport's subscription and outbox when Redis is configured; otherwise nothing.
    /// Stops it only after every hosted service has stopped, so the last events of jobs that Quartz lets
    /// finish during shutdown still reach Redis.
    /// </summary>
    private sealed class RedisTransportStarter(IServiceProvider provider) : IHostedLifecycleService
    {
        private RedisEventTransport? _transport;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (ConnectionString(provider) is null)
            {
                return Task.CompletedTask;
            }
            _transport = provider.GetRequiredService<RedisEventTransport>();
            return _transport.StartAsync(cancellationToken);
        }

        public Task StoppedAsync(CancellationToken cancellationToken) => _transport?.StopAsync(cancellationToken) ?? Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
