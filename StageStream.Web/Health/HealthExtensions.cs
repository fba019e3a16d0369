using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StageStream.Web.Database;

namespace StageStream.Web.Health;

/// <summary>
/// <c>/health</c> and <c>/health/ready</c>: the database (SQLite or PostgreSQL), the data folder (writable, free space), the media
/// store, Redis (when configured), the Quartz scheduler, the Quartz cluster (on PostgreSQL) and ffmpeg. <c>/health/live</c>: only what a restart would fix (the process answers, the scheduler runs), so an
/// outage of a shared dependency never restarts every instance at once.
/// </summary>
public static class HealthExtensions
{
    public const string Ready = "ready";
    public const string Live = "live";

    public static void AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("The process is serving requests."), tags: [Live])
            .AddCheck<DatabaseHealthCheck>("database", tags: [Ready])
            .AddCheck<DataFolderHealthCheck>("data_folder", tags: [Ready])
            .AddCheck<SchedulerHealthCheck>("scheduler", tags: [Ready, Live])
            .AddCheck<FfmpegHealthCheck>("ffmpeg", tags: [Ready])
            .AddCheck<MediaStoreHealthCheck>("media_store", tags: [Ready]);
        if (DatabaseChoice.IsPostgresConfigured(builder.Configuration))
        {
            builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: [Ready]);
        }
    }

    public static void MapHealth(this WebApplication app)
    {
        // Open to all (load balancers probe them signed out); the details only go to admins and this machine.
        app.MapHealthChecks("/health", Options(_ => true)).AllowAnonymous();
        app.MapHealthChecks("/health/ready", Options(check => check.Tags.Contains(Ready))).AllowAnonymous();
        app.MapHealthChecks("/health/live", Options(check => check.Tags.Contains(Live))).AllowAnonymous();
    }

    private static HealthCheckOptions Options(Func<HealthCheckRegistration, bool> predicate) => new()
    {
        Predicate = predicate,
        ResponseWriter = HealthResponseWriter.WriteAsync,
        AllowCachingResponses = false,
    };
}
