using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StageStream.Core.Providers.Offline;

public static class OfflineProviderExtensions
{
    /// <summary>The embedded providers: no key, no network (text, PNG frames, ffmpeg clips).</summary>
    public static IServiceCollection AddOfflineProviders(this IServiceCollection services)
    {
        services.AddOptions<OfflineOptions>().BindConfiguration(OfflineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<Ffmpeg>();
        services.TryAddSingleton<OfflineFonts>();

        // Added, not tried: other providers of the same interfaces sit beside these, chosen by name per stage.
        services.AddSingleton<IRewriteProvider, OfflineRewriteProvider>();
        services.AddSingleton<IStoryboardProvider, OfflineStoryboardProvider>();
        services.AddSingleton<IImageProvider, OfflineImageProvider>();
        services.AddSingleton<ICameraProvider, OfflineCameraProvider>();
        services.AddSingleton<IVideoProvider, FfmpegVideoProvider>();
        services.AddSingleton<IVoiceProvider, EspeakVoiceProvider>();
        services.TryAddSingleton<IFilmAssembler, FfmpegFilmAssembler>();
        return services;
    }
}
