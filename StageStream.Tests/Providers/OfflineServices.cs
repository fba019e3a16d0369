using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Providers.Offline;

namespace StageStream.Tests.Providers;

/// <summary>The offline providers as the app registers them, over in-memory settings.</summary>
internal static class OfflineServices
{
    public static ServiceProvider Create(IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "0" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging();
        services.AddOfflineProviders();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static T Get<T>(this ServiceProvider services) where T : notnull => services.GetRequiredService<T>();
}
