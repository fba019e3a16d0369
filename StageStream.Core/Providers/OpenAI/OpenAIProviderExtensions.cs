using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace StageStream.Core.Providers.OpenAI;

public static class OpenAIProviderExtensions
{
    /// <summary>
    /// The "openai" providers of every stage, over one OpenAI-compatible endpoint (<c>Providers:OpenAI</c>).
    /// Registering them costs nothing: a stage uses them only when <c>Stages:{stage}:Provider</c> is "openai".
    /// </summary>
    public static IServiceCollection AddOpenAIProviders(this IServiceCollection services)
    {
        services.AddOptions<OpenAIOptions>().BindConfiguration(OpenAIOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient(OpenAIEndpoint.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("openai", (pipeline, context) =>
            {
                // Transient failures (429, 5xx, 408, timeouts, dropped connections) are retried with exponential
                // backoff and jitter, honouring Retry-After; each attempt has its own timeout.
                var options = context.ServiceProvider.GetRequiredService<IOptionsMonitor<OpenAIOptions>>().CurrentValue;
                context.EnableReloads<OpenAIOptions>();
                if (options.MaxRetries > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.MaxRetries,
                        Delay = options.RetryDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        ShouldRetryAfterHeader = true,
                    });
                }
                pipeline.AddTimeout(options.RequestTimeout);
            });
        services.AddSingleton<OpenAIEndpoint>();
        // The voice provider stores speech as the offline one does, through ffmpeg.
        services.TryAddSingleton<Offline.Ffmpeg>();
        services.AddSingleton<OpenAIChat>();
        services.AddSingleton<OpenAIConnectionTester>();
        services.AddSingleton<IRewriteProvider, OpenAIRewriteProvider>();
        services.AddSingleton<IStoryboardProvider, OpenAIStoryboardProvider>();
        services.AddSingleton<ICameraProvider, OpenAICameraProvider>();
        services.AddSingleton<IImageProvider, OpenAIImageProvider>();
        services.AddSingleton<IVideoProvider, OpenAIVideoProvider>();
        services.AddSingleton<IVoiceProvider, OpenAIVoiceProvider>();
        return services;
    }
}
