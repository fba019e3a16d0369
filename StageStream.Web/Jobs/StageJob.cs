using Quartz;
using StageStream.Core.Pipeline;

namespace StageStream.Web.Jobs;

/// <summary>
/// One queued stage run as a durable Quartz job in the database. It asks for recovery, so a job whose server
/// died while it ran fires again (<see cref="IJobExecutionContext.Recovering"/>); a job interrupted by a
/// graceful stop is given a new trigger that fires at the next start (in a cluster, at once on another instance).
/// A job is deleted once its run ended.
/// </summary>
public sealed class StageJob(StageRunner runner, StageJobsInFlight inFlight, IHostApplicationLifetime lifetime, ILogger<StageJob> logger) : IJob
{
    public const string ProjectIdKey = "projectId";
    public const string StageKey = "stage";
    public const string JobIdKey = "jobId";
    public const string ResumeKey = "resume";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        using var _ = inFlight.Enter();
        var data = context.MergedJobDataMap;
        var resuming = context.Recovering || (data.TryGetBoolean(ResumeKey, out var resume) && resume);
        var request = new StageRunRequest(data.GetString(ProjectIdKey)!, data.GetString(StageKey)!, data.GetString(JobIdKey)!, resuming);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping, cancellationToken);
        RunEnd end;
        try
        {
            end = await runner.RunAsync(request, stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            end = RunEnd.Interrupted;
        }
        switch (end)
        {
            case RunEnd.Ended:
                await context.Scheduler.DeleteJob(context.JobDetail.Key, CancellationToken.None);
                break;
            case RunEnd.Interrupted:
                // The scheduler is still open while it waits for running jobs: the trigger is stored and fires at the next start.
                try
                {
                    await context.Scheduler.ScheduleJob(StageJobs.ResumeTrigger(context.JobDetail.Key), new ScheduleJobOptions(), CancellationToken.None);
                }
                catch (JobPersistenceException e)
                {
                    // The database is unreachable (Quartz has retried): this firing stays recorded as running, and the job
                    // requests recovery, so it fires again once this instance is gone from the cluster or starts again.
                    logger.LogWarning("Stage job {Job} could not store the trigger that resumes it ({Error}); it runs again when " +
                        "another instance recovers this one's jobs, or at the next start", context.JobDetail.Key, (e.InnerException ?? e).Message);
                    break;
                }
                logger.LogInformation("Stage job {Job} will resume at the next start (in a cluster, on another instance now)", context.JobDetail.Key);
                break;
            case RunEnd.RunningElsewhere:
                logger.LogInformation("Stage job {Job} fired while its run is processing elsewhere; leaving it to that server", context.JobDetail.Key);
                break;
        }
    }
}
