using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StageStream.Core.Providers;
using StageStream.Core.Providers.OpenAI;

namespace StageStream.Tests.OpenAI;

/// <summary>The openai providers as the app registers them, configured against a fake vendor, without the rest of the app.</summary>
public sealed class ProviderHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private ProviderHost(ServiceProvider services) => _services = services;

    public static Dictionary<string, string?> Settings(FakeVendorServer server) => new()
    {
        ["Providers:OpenAI:BaseUrl"] = server.BaseUrl,
        ["Providers:OpenAI:ApiKey"] = FakeVendorServer.ApiKey,
        ["Providers:OpenAI:Model"] = "fake-chat",
        ["Providers:OpenAI:ImageModel"] = "fake-image",
        ["Providers:OpenAI:VideoModel"] = "fake-video",
        ["Providers:OpenAI:RetryDelay"] = "00:00:00.020",
        ["Providers:OpenAI:MaxRetries"] = "2",
        ["Providers:OpenAI:RequestTimeout"] = "00:00:20",
        ["Providers:OpenAI:PollInterval"] = "00:00:00.020",
        ["Providers:OpenAI:MaxPollInterval"] = "00:00:00.050",
    };

    public static ProviderHost Start(FakeVendorServer server, IDictionary<string, string?>? overrides = null, ILoggerProvider? logs = null)
    {
        var values = Settings(server);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging(logging =>
        {
            if (logs is not null)
            {
                logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
            }
        });
        services.AddSingleton(TimeProvider.System);
        ProviderRegistry.Configure(services);
        services.AddOpenAIProviders();
        return new ProviderHost(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
    }

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    /// <summary>The provider named "openai" among those registered for <typeparamref name="T"/>.</summary>
    public T Provider<T>() where T : INamedProvider => _services.GetServices<T>().Single(p => p.Name == OpenAIProvider.Name);

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
