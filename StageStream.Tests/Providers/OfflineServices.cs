using Microsoft.Extensions.Configuration;
using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StageStream.Core.Providers.Offline;

namespace StageStream.Tests.Providers;

/// <summary>The offline providers as the app registers them, over in-memory settings.</summary>
internal static class OfflineServices
{
    public static ServiceProvider Create(IDictionary<string, string?>? settings = null, ILoggerProvider? logs = null)
    {
        var values = new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "0" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            // null removes a setting, to see the default.
            if (value is null)
            {
                values.Remove(key);
            }
            else
            {
                values[key] = value;
            }
        }
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging(logging =>
        {
            if (logs is not null)
            {
                logging.AddProvider(logs);
            }
        });
        services.AddOfflineProviders();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static T Get<T>(this ServiceProvider services) where T : notnull => services.GetRequiredService<T>();
}

/// <summary>Keeps what was logged, so a test can check a warning was given.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
