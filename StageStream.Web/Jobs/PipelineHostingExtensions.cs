using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Quartz;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Web.Database;

namespace StageStream.Web.Jobs;

public static class PipelineHostingExtensions
{
    /// <summary>The data folder, the media store and EF Core on the chosen database (<see cref="DatabaseChoice"/>).</summary>
    public static void AddPersistence(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);
        builder.Services.AddSingleton(_ => new DataFolder(DataRoot(builder), MediaRoot(builder)));
        builder.Services.AddSingleton(Database(builder));
        builder.Services.AddDbContext<StageStreamDbContext>((services, options) => services.GetRequiredService<DatabaseChoice>().Configure(options));
    }

    /// <summary>
    /// The stage pipeline, with Quartz.NET running every stage run as a durable job in the app's database, so
    /// queued and running stages survive a stop or a crash. On PostgreSQL the instances form one Quartz cluster
    /// (one scheduler name, an instance id per process): any instance runs any job, and the jobs of an instance
    /// that dies are recovered by another. Quartz cannot cluster on SQLite: a lone server's scheduler owns every
    /// job; with Redis (several processes sharing the SQLite file) each process has a scheduler of its own, named
    /// after its host and port, so it resumes its own jobs when it starts again.
    /// </summary>
    public static void AddPipeline(this WebApplicationBuilder builder)
    {
        builder.Services.AddStagePipeline();
        builder.Services.AddSingleton<IStageQueue, StageJobs>();
        builder.Services.AddSingleton<StageJobsInFlight>();
        var database = Database(builder);
        // Several processes with a scheduler each (SQLite with Redis); a cluster shares one scheduler.
        var shared = !database.IsPostgres && !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis"));
        var pipeline = builder.Configuration.GetSection(PipelineOptions.Section).Get<PipelineOptions>() ?? new PipelineOptions();
        builder.Services.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler =>
            {
                scheduler.InstanceName = SchedulerName(builder, shared);
                if (database.IsPostgres)
                {
                    // A job queued by another instance (a run handed back by one that stops) wakes no scheduler here:
                    // each looks for due triggers at least this often.
                    scheduler.IdleWaitTime = TimeSpan.FromSeconds(2);
                }
            });
            // Jobs wait asynchronously for their kind's slot (WorkLimiter), so a backlog of one kind must not fill
            // the pool and hold back the others: the pool is sized far above the work limits.
            quartz.UseDefaultThreadPool(pool => pool.MaxConcurrency = 256);
            quartz.UsePersistentStore(store =>
            {
                // Clustered on PostgreSQL: each process's instance id is generated at start (host name and time).
                database.Configure(store, TimeSpan.FromSeconds(pipeline.ClusterCheckinSeconds), TimeSpan.FromSeconds(pipeline.ClusterCheckinMisfireSeconds));
                store.UseSystemTextJsonSerializer();
                // Its cluster and misfire threads must not keep the process alive once the host has stopped: a stop that
                // ends at its deadline with the database unreachable leaves them retrying (see StageJobKeeper.StopAsync).
                store.ConfigureStore(options => options.UseBackgroundThreads = true);
                // Quartz's own tables, created (or brought up to date) when the scheduler starts; on PostgreSQL safely
                // when several instances start at once.
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
    /// Checks the data folder (throwing <see cref="DataFolderException"/>) and applies migrations (see <see cref="Migrator"/>).
    /// Runs before the app serves.
    /// </summary>
    public static async Task PrepareAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        app.Services.GetRequiredService<DataFolder>().PrepareForStart();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        var database = app.Services.GetRequiredService<DatabaseChoice>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(Migrator));
        await Migrator.MigrateAsync(db, database, logger, cancellationToken);
        if (database.IsPostgres && string.IsNullOrWhiteSpace(app.Configuration.GetConnectionString("Redis")))
        {
            logger.LogWarning("PostgreSQL without ConnectionStrings:Redis: events are kept in the database's log and reach this " +
                "instance's clients only. Run one instance, or give every instance the same Redis (docs/multi-server.md).");
        }
    }

    internal static string DataRoot(WebApplicationBuilder builder)
    {
        var path = builder.Configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.DataPath)}"] ?? new StorageOptions().DataPath;
        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(builder.Environment.ContentRootPath, path));
    }

    private static string? MediaRoot(WebApplicationBuilder builder)
    {
        var path = builder.Configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.MediaRoot)}"];
        return string.IsNullOrWhiteSpace(path) ? null
            : Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(builder.Environment.ContentRootPath, path));
    }

    private static DatabaseChoice Database(WebApplicationBuilder builder) => DatabaseChoice.From(builder.Configuration, DataRoot(builder));
}
