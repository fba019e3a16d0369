using Quartz;
using StageStream.Core.Pipeline;

namespace StageStream.Web.Jobs;

/// <summary>One stage run as a Quartz job.</summary>
public sealed class StageJob(StageRunner runner, IHostApplicationLifetime lifetime) : IJob
{
    public const string ProjectIdKey = "projectId";
    public const string StageKey = "stage";
    public const string RunIdKey = "runId";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var data = context.MergedJobDataMap;
        var request = new StageRunRequest(data.GetString(ProjectIdKey)!, data.GetString(StageKey)!, data.GetString(RunIdKey)!);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping, cancellationToken);
        await runner.RunAsync(request, stopping.Token);
    }
}

public sealed class QuartzStageQueue(ISchedulerFactory schedulers) : IStageQueue
{
    public async Task EnqueueAsync(StageRunRequest run, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var job = JobBuilder.Create<StageJob>()
            .WithIdentity(run.RunId, run.Stage)
            .UsingJobData(StageJob.ProjectIdKey, run.ProjectId)
            .UsingJobData(StageJob.StageKey, run.Stage)
            .UsingJobData(StageJob.RunIdKey, run.RunId)
            .Build();
        var trigger = TriggerBuilder.Create().WithIdentity(run.RunId, run.Stage).StartNow().Build();
        await scheduler.ScheduleJob(job, trigger, cancellationToken: cancellationToken);
    }
}
