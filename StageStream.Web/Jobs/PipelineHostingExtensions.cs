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
    /// queued and running stages survive a stop or a crash. Quartz cannot cluster on SQLite: a lone server's
    /// scheduler owns every job; with Redis (several processes sharing the database) each process has a
    /// scheduler of its own, named after its host and port, so it resumes its own jobs when it starts again.
    /// </summary>
    public static void AddPipeline(this WebApplicationBuilder builder)
    {
        builder.Services.AddStagePipeline();
        builder.Services.AddSingleton<IStageQueue, StageJobs>();
        builder.Services.AddSingleton<StageJobsInFlight>();
        var shared = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis"));
        var database = Path.Combine(DataRoot(builder), DataFolder.DatabaseFileName);
        builder.Services.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler => scheduler.InstanceName = SchedulerName(builder, shared));
            // Jobs wait asynchronously for their kind's slot (WorkLimiter), so a backlog of one kind must not fill
            // the pool and hold back the others: the pool is sized far above the work limits.
            quartz.UseDefaultThreadPool(pool => pool.MaxConcurrency = 256);
            quartz.UsePersistentStore(store =>
            {
                store.UseSqlite(SqliteConnectionString(database));
                store.UseSystemTextJsonSerializer();
                // Quartz's own tables, created (or brought up to date) when the scheduler starts.
                store.ProvisionSchema();
            });
        });
        builder.Services.AddQuartzHostedService(options => options.WaitForJobsToComplete = true);
        // Starts after the scheduler and stops before it: every queued or running stage has its job.
        builder.Services.AddHostedService(services => ActivatorUtilities.CreateInstance<StageJobKeeper>(services, !shared));
    }

    /// <summary>
    /// The scheduler whose jobs this process runs and recovers: <c>Pipeline:SchedulerName</c> if set; else one
    /// for a lone server, or, for one of several processes, its host and port (stable across its restarts).
    /// </summary>
    private static string SchedulerName(WebApplicationBuilder builder, bool shared)
    {
        if (builder.Configuration[$"{PipelineOptions.Section}:{nameof(PipelineOptions.SchedulerName)}"] is { Length: > 0 } configured)
        {
            return configured;
        }
        if (!shared)
        {
            return "StageStream";
        }
        var url = (builder.Configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        var port = url is not null && Uri.TryCreate(url.Replace("*", "localhost").Replace("+", "localhost"), UriKind.Absolute, out var uri) ? uri.Port : 0;
        return port > 0 ? $"StageStream@{Environment.MachineName}:{port}" : $"StageStream@{Environment.MachineName}/{Guid.NewGuid():N}";
    }

    /// <summary>
    /// Checks the data folder (throwing <see cref="DataFolderException"/>), applies migrations and turns on WAL.
    /// Runs before the app serves.
    /// </summary>
    public static async Task PrepareAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        app.Services.GetRequiredService<DataFolder>().PrepareForStart();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }

    internal static string DataRoot(WebApplicationBuilder builder)
    {
        var path = builder.Configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.DataPath)}"] ?? new StorageOptions().DataPath;
        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(builder.Environment.ContentRootPath, path));
    }

    private static string SqliteConnectionString(string databasePath) => $"Data Source={databasePath};Default Timeout=30";
}
