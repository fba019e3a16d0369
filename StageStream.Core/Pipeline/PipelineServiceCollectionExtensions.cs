using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StageStream.Core.Events;
using StageStream.Core.Narration;
using StageStream.Core.Projects;
using StageStream.Core.Providers;

namespace StageStream.Core.Pipeline;

public static class PipelineServiceCollectionExtensions
{
    /// <summary>Projects, the stage executors and the runner. The host adds the database, an <see cref="IStageQueue"/> and the providers.</summary>
    public static IServiceCollection AddStagePipeline(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<NarrationOptions>().BindConfiguration(NarrationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddStageEvents();
        ProviderRegistry.Configure(services);
        services.AddSingleton<RunningStages>();
        services.AddSingleton<WorkLimiter>();
        services.AddScoped<ProjectService>();
        services.AddScoped<ProjectLibrary>();
        services.AddScoped<RunEstimates>();
        services.AddScoped<MusicUpload>();
        // MusicUpload checks uploads with ffprobe, whichever providers the host adds.
        services.TryAddSingleton<Providers.Offline.Ffmpeg>();
        services.AddScoped<PipelineService>();
        services.AddScoped<StageRunner>();
        services.AddScoped<Interruptions>();
        foreach (var stage in StageCatalog.All)
        {
            services.AddScoped(typeof(IStageExecutor), stage.Executor);
        }
        return services;
    }
}
