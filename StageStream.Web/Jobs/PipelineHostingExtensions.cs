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
        builder.Services.AddSingleton(_ => new DataFolder(DataRoot(builder)));
        builder.Services.AddDbContext<StageStreamDbContext>((services, options) =>
            options.UseSqlite(SqliteConnectionString(services.GetRequiredService<DataFolder>().DatabasePath)));
    }

    /// <summary>
    /// The stage pipeline, with Quartz.NET running every stage run as a durable job in the app's database, so
    /// queued and running stages survive a stop or a crash. With Redis configured (several servers on one
    /// database) the schedulers form a Quartz cluster: a server that dies has its running stages recovered by another.
    /// </summary>
    public static void AddPipeline(this WebApplicationBuilder builder)
    {
        builder.Services.AddStagePipeline();
        builder.Services.AddSingleton<IStageQueue, StageJobs>();
        builder.Services.AddSingleton<StageJobsInFlight>();
        var clustered = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis"));
        var checkin = TimeSpan.FromSeconds(builder.Configuration.GetValue($"{PipelineOptions.Section}:{nameof(PipelineOptions.ClusterCheckinSeconds)}", new PipelineOptions().ClusterCheckinSeconds));
        var database = Path.Combine(DataRoot(builder), DataFolder.DatabaseFileName);
        builder.Services.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler => scheduler.InstanceName = "StageStream");
            // Jobs wait asynchronously for their kind's slot (WorkLimiter), so a backlog of one kind must not fill
            // the pool and hold back the others: the pool is sized far above the work limits.
            quartz.UseDefaultThreadPool(pool => pool.MaxConcurrency = 256);
            quartz.UsePersistentStore(store =>
            {
                store.UseSqlite(SqliteConnectionString(database));
                store.UseSystemTextJsonSerializer();
                // Quartz's own tables, created (or brought up to date) when the scheduler starts.
                store.ProvisionSchema();
                if (clustered)
                {
                    store.UseClustering(cluster =>
                    {
                        cluster.CheckinInterval = checkin;
                        cluster.CheckinMisfireThreshold = checkin;
                    });
                }
            });
        });
        builder.Services.AddQuartzHostedService(options => options.WaitForJobsToComplete = true);
        // Starts after the scheduler and stops before it: every queued or running stage has its job.
        builder.Services.AddHostedService<StageJobKeeper>();
    }

    /// <summary>Applies migrations and turns on WAL. Runs before the app serves.</summary>
    public static async Task PrepareAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }

    private static string DataRoot(WebApplicationBuilder builder)
    {
        var path = builder.Configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.DataPath)}"] ?? new StorageOptions().DataPath;
        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(builder.Environment.ContentRootPath, path));
    }

    private static string SqliteConnectionString(string databasePath) => $"Data Source={databasePath};Default Timeout=30";
}
