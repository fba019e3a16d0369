using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Quartz;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Web.Database;

namespace StageStream.Web.Jobs;

/// <summary>
/// Keeps every queued or running stage backed by a job, around Quartz's own start and stop (registered after
/// Quartz's hosted service, so it starts after the scheduler and stops before it).
/// </summary>
/// <param name="ownsEveryStage">
/// True for a lone server, and for every instance of a Quartz cluster (PostgreSQL), where all share one
/// scheduler and see every job: the start-up check is then safe on each (a job it queues again replaces the
/// one of the same key, and a run that is already processing ignores a second firing). With several processes
/// on one SQLite file, a stage's job may belong to another process's scheduler, so only the stop's hand-over applies.
/// </param>
public sealed class StageJobKeeper(
    IServiceScopeFactory scopes, ISchedulerFactory schedulers, StageJobsInFlight inFlight, IHostApplicationLifetime lifetime,
    DatabaseChoice database, IOptions<HostOptions> hostOptions, ILogger<StageJobKeeper> logger, bool ownsEveryStage)
    : IHostedService
{
    private IScheduler? _scheduler;

    /// <summary>
    /// After Quartz has recovered its own jobs: a stage that is queued or processing without a job (the process
    /// died between saving the stage and storing its job, or the database predates the persistent job store)
    /// gets one, and so does a job left without a trigger (a stop that could not store it), so no stage stays
    /// queued or processing with nothing behind it.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        var queue = scope.ServiceProvider.GetRequiredService<IStageQueue>();
        var scheduler = _scheduler = await schedulers.GetScheduler(cancellationToken);
        // From the moment the host stops, no job fires: a run started now would only be interrupted at once.
        lifetime.ApplicationStopping.Register(() => _ = scheduler.Standby(CancellationToken.None));
        if (!ownsEveryStage)
        {
            return;
        }
        var active = await db.Stages.AsNoTracking()
            .Where(s => s.Status == StageStatus.Queued || s.Status == StageStatus.Processing)
            .Select(s => new { s.ProjectId, s.Stage, s.Status, JobId = s.JobId ?? s.RunId })
            .ToListAsync(cancellationToken);
        foreach (var stage in active.Where(s => s.JobId is not null))
        {
            var key = StageJobs.KeyOf(stage.JobId!, stage.Stage);
            if (!await scheduler.Exists(key, cancellationToken) || (await scheduler.GetTriggersOfJob(key, cancellationToken)).Count == 0)
            {
                logger.LogWarning("Stage {Stage} of project {ProjectId} was {Status} without a job to run it; queuing it again", stage.Stage, stage.ProjectId, stage.Status);
                await queue.EnqueueAsync(new StageRunRequest(stage.ProjectId, stage.Stage, stage.JobId!, Resuming: stage.Status == StageStatus.Processing), cancellationToken);
            }
        }
    }

    /// <summary>
    /// A graceful stop: the scheduler is on standby, and the running jobs, whose runs stop at once, store the trigger
    /// that resumes them at the next start while the scheduler still accepts it (Quartz refuses once it shuts down);
    /// then Quartz shuts down here, waiting for its jobs, so that the whole stop ends by the host's deadline
    /// (<see cref="HostOptions.ShutdownTimeout"/>, <c>shutdownTimeoutSeconds</c>). With the database unreachable,
    /// Quartz's own shutdown can wait without end: its scheduler loop retries releasing a trigger it had reserved until
    /// the job store shuts down, which Quartz does only after that loop ended. It is waited for here up to the deadline
    /// only; Quartz's hosted service, which stops after this one, finds the shutdown begun and returns at once.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_scheduler is not { } scheduler || scheduler.Status is SchedulerStatus.ShuttingDown or SchedulerStatus.Shutdown)
        {
            return;
        }
        try
        {
            await StopSchedulerAsync(scheduler, cancellationToken).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The scheduler did not stop within the shutdown timeout ({Timeout} s; is {Database} unreachable?): " +
                "{Count} stage runs were still stopping, and Quartz had not recorded how all its jobs ended. What could not be " +
                "recorded stays as stored: the jobs request recovery, so their runs are taken up again at the next start, or by " +
                "another instance of a cluster", hostOptions.Value.ShutdownTimeout.TotalSeconds, database.Description, inFlight.Count);
        }
    }

    private async Task StopSchedulerAsync(IScheduler scheduler, CancellationToken cancellationToken)
    {
        await scheduler.Standby(cancellationToken);
        while (inFlight.Count > 0)
        {
            await Task.Delay(50, cancellationToken);
        }
        await scheduler.Shutdown(waitForJobsToComplete: true, cancellationToken);
    }
}

/// <summary>How many stage jobs are executing in this process.</summary>
public sealed class StageJobsInFlight
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public IDisposable Enter()
    {
        Interlocked.Increment(ref _count);
        return new Exit(this);
    }

    private sealed class Exit(StageJobsInFlight owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref owner._count);
            }
        }
    }
}
