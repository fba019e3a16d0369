using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;

namespace StageStream.Core.Providers;

/// <summary>Per-stage settings: <c>Stages:{stage}:Provider</c> and an optional <c>Stages:{stage}:Model</c>.</summary>
public sealed class StageSettings
{
    public string Provider { get; set; } = OfflineProvider.Name;
    public string? Model { get; set; }
    public double? Temperature { get; set; }
    public int? MaxTokens { get; set; }
    public string? Prompt { get; set; }
}

public static class OfflineProvider
{
    public const string Name = "offline";
}

/// <summary>Finds the provider configured for a stage among those registered.</summary>
public sealed class ProviderRegistry(IServiceProvider services, IOptionsMonitor<StageSettings> stageSettings)
{
    public StageSettings SettingsFor(string stage) => stageSettings.Get(stage);

    public T For<T>(string stage) where T : INamedProvider =>
        Named<T>(SettingsFor(stage).Provider, $"Stages:{stage}:Provider", $"Stage '{stage}'");

    /// <summary>The provider of a kind by its name, as a setting (<paramref name="setting"/>) names it.</summary>
    public T Named<T>(string name, string setting, string what) where T : INamedProvider
    {
        var provider = services.GetServices<T>().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        return provider ?? throw new MissingDependencyException(
            $"{what} is set to provider '{name}', which is not available for it. " +
            $"Set {setting} to one of: {string.Join(", ", services.GetServices<T>().Select(p => p.Name).Distinct())}.");
    }

    public static void Configure(IServiceCollection services)
    {
        foreach (var stage in StageCatalog.Names)
        {
            services.AddOptions<StageSettings>(stage).BindConfiguration($"Stages:{stage}");
        }
        services.TryAddSingleton<ProviderRegistry>();
    }
}
