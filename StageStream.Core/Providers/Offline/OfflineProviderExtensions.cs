using Microsoft.Extensions.DependencyInjection;

namespace StageStream.Core.Providers.Offline;

public static class OfflineProviderExtensions
{
    /// <summary>The embedded providers: no key, no network (text, PNG frames, ffmpeg clips).</summary>
    public static IServiceCollection AddOfflineProviders(this IServiceCollection services)
    {
        // TODO: offline providers
        return services;
    }
}
