using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Quartz;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;

namespace StageStream.Web.Jobs;

public static class PipelineHostingExtensions
{
    /// <summary>The data folder (database and media) and EF Core on SQLite.</summary>
    public static void AddPersistence(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);
        builder.Services.AddSingleton(services =>
        {
            var path = services.GetRequiredService<IOptions<StorageOptions>>().Value.DataPath;
            return new DataFolder(Path.IsPathRooted(path) ? path : Path.Combine(builder.Environment.ContentRootPath, path));
        });
        builder.Services.AddDbContext<StageStreamDbContext>((services, options) =>
            options.UseSqlite($"Data Source={services.GetRequiredService<DataFolder>().DatabasePath};Default Timeout=30"));
    }

    /// <summary>The stage pipeline, with Quartz.NET running every stage run as a job.</summary>
    public static void AddPipeline(this WebApplicationBuilder builder)
    {
        builder.Services.AddStagePipeline();
        // A lone server (no Redis to share events with others) owns every run it finds at start-up.
        builder.Services.PostConfigure<PipelineOptions>(options =>
        {
            if (builder.Configuration[$"{PipelineOptions.Section}:{nameof(PipelineOptions.RecoverAllAtStart)}"] is null)
            {
                options.RecoverAllAtStart = string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis"));
            }
        });
        builder.Services.AddHostedService<RunLeaseService>();
        builder.Services.AddSingleton<IStageQueue, QuartzStageQueue>();
        // Jobs wait asynchronously for their kind's slot (WorkLimiter), so a backlog of one kind must not fill
        // the pool and hold back the others: the pool is sized far above the work limits.
        builder.Services.AddQuartz(quartz => quartz.UseDefaultThreadPool(pool => pool.MaxConcurrency = 256));
        builder.Services.AddQuartzHostedService(options => options.WaitForJobsToComplete = true);
    }

    /// <summary>
    /// Checks the data folder (throwing <see cref="DataFolderException"/>), applies migrations, turns on WAL, and
    /// resumes runs a stop interrupted. Runs before the app serves.
    /// </summary>
    public static async Task PrepareAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        app.Services.GetRequiredService<DataFolder>().PrepareForStart();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        await scope.ServiceProvider.GetRequiredService<PipelineService>().RecoverAsync(atStartUp: true, cancellationToken);
    }
}
