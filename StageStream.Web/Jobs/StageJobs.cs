using Quartz;
using StageStream.Core.Pipeline;

namespace StageStream.Web.Jobs;

/// <summary>The stage runs' jobs in Quartz's persistent store: how they are named, queued and resumed.</summary>
public sealed class StageJobs(ISchedulerFactory schedulers) : IStageQueue
{
    public static JobKey KeyOf(string jobId, string stage) => new(jobId, stage);

    public async Task EnqueueAsync(StageRunRequest run, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var job = JobBuilder.Create<StageJob>()
            .WithIdentity(KeyOf(run.JobId, run.Stage))
            .UsingJobData(StageJob.ProjectIdKey, run.ProjectId)
            .UsingJobData(StageJob.StageKey, run.Stage)
            .UsingJobData(StageJob.JobIdKey, run.JobId)
            .StoreDurably()
            .RequestRecovery()
            .Build();
        var trigger = TriggerBuilder.Create()
            .ForJob(job)
            .WithIdentity(run.JobId, run.Stage)
            .UsingJobData(StageJob.ResumeKey, run.Resuming)
            .StartNow()
            .WithSimpleSchedule(schedule => schedule.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        // Replacing: a start-up check may have queued the same job a moment before (see StageJobKeeper).
        await scheduler.ScheduleJob(job, [trigger], ScheduleJobOptions.Replacing, cancellationToken);
    }

    /// <summary>A trigger that fires an interrupted job again as soon as a scheduler runs.</summary>
    public static ITrigger ResumeTrigger(JobKey job) => TriggerBuilder.Create()
        .ForJob(job)
        .UsingJobData(StageJob.ResumeKey, true)
        .StartNow()
        .WithSimpleSchedule(schedule => schedule.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
        .Build();
}
