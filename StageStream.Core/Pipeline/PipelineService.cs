using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StageStream.Core.Events;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>
/// Starts, chains, cancels and recovers stage runs. A pipeline run is a chain: each stage run, when
/// it completes, queues the next; the state lives in the stage records, so a restart can resume it.
/// </summary>
public sealed class PipelineService(
    StageStreamDbContext db,
    IEventPublisher publisher,
    IStageQueue queue,
    RunningStages running,
    IOptions<PipelineOptions> options,
    TimeProvider clock,
    ILogger<PipelineService> logger)
{
    /// <summary>Queues one stage. 409 if anything of the project is running, if its input is missing, or if it is done and not forced.</summary>
    public async Task<StageRecord> StartStageAsync(Project project, string stage, bool force, CancellationToken cancellationToken)
    {
        if (!StageNames.IsValid(stage))
        {
            throw NotFoundException.Stage(stage);
        }
        EnsureIdle(project);
        var record = project.Stage(stage);
        if (MissingInput(project, stage) is { } first)
        {
            throw new ConflictException("Stage input missing",
                $"Stage '{stage}' needs the output of '{first}', which does not exist yet. Run '{first}' first.");
        }
        if (record.Status == StageStatus.Completed && !force)
        {
            throw new ConflictException("Stage already completed",
                $"Stage '{stage}' is already completed. Add ?force=true to run it again.");
        }
        await QueueAsync(project, record, pipelineRunId: null, force, cancellationToken);
        return record;
    }

    /// <summary>Runs the five stages in order, skipping completed ones unless forced; stops at the first failure.</summary>
    public async Task<string> StartPipelineAsync(Project project, bool force, CancellationToken cancellationToken)
    {
        EnsureIdle(project);
        project.PipelineRunId = Project.NewId();
        project.PipelineForce = force;
        project.Status = ProjectStatus.Running;
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        await publisher.PublishAsync(PipelineEvent(project, EventTypes.StageUpdate) with { Status = "processing", Progress = 0, Message = "Pipeline started" }, cancellationToken);
        await AdvanceAsync(project, 0, cancellationToken);
        return project.PipelineRunId;
    }

    /// <summary>Called by the runner when a stage run ends, whichever way.</summary>
    public async Task AfterStageAsync(Project project, StageRecord record, CancellationToken cancellationToken)
    {
        var inPipeline = record.PipelineRunId is not null && record.PipelineRunId == project.PipelineRunId;
        switch (record.Status)
        {
            case StageStatus.Completed when inPipeline:
                await AdvanceAsync(project, StageNames.IndexOf(record.Stage) + 1, cancellationToken);
                return;
            case StageStatus.Completed:
                project.Status = project.Stages.All(s => s.Status == StageStatus.Completed) ? ProjectStatus.Completed : ProjectStatus.Draft;
                break;
            case StageStatus.Failed:
                project.Status = ProjectStatus.Failed;
                if (inPipeline)
                {
                    await publisher.PublishAsync(PipelineEvent(project, EventTypes.PipelineError) with
                    {
                        Error = $"Stage '{record.Stage}' failed: {record.Error}",
                        Metadata = Summary(project, failed: record.Stage),
                    }, cancellationToken);
                }
                break;
            case StageStatus.Cancelled:
                project.Status = ProjectStatus.Cancelled;
                if (inPipeline)
                {
                    await PublishPipelineCancelledAsync(project, cancellationToken);
                }
                break;
        }
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// Stops the project's work. A run executing here (or waiting for its slot) is signalled and its runner
    /// records and publishes the cancellation within moments; a run only queued is cancelled here.
    /// </summary>
    public async Task CancelAsync(Project project, CancellationToken cancellationToken)
    {
        var pipelineEnded = false;
        foreach (var record in project.Stages.Where(s => s.IsActive))
        {
            if (running.Cancel(record.RunId!))
            {
                pipelineEnded = true;
                continue;
            }
            record.Status = StageStatus.Cancelled;
            record.Error = "Cancelled";
            record.FinishedAt = clock.GetUtcNow();
            project.Status = ProjectStatus.Cancelled;
            project.UpdatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            await new StageReporter(publisher, project.Id, record).StageUpdateAsync(StageStatus.Cancelled, "Cancelled", cancellationToken);
            if (!pipelineEnded && record.PipelineRunId is not null && record.PipelineRunId == project.PipelineRunId)
            {
                pipelineEnded = true;
                await PublishPipelineCancelledAsync(project, cancellationToken);
            }
        }
    }

    /// <summary>
    /// At start-up no stage may stay queued or processing without a job: each is queued again as a
    /// new run, or failed for good once it has used its attempts.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var interrupted = await db.Stages.Where(s => s.Status == StageStatus.Queued || s.Status == StageStatus.Processing)
            .Select(s => s.ProjectId).Distinct().ToListAsync(cancellationToken);
        foreach (var projectId in interrupted)
        {
            var project = await db.FindProjectAsync(projectId, cancellationToken);
            foreach (var record in project!.Stages.Where(s => s.IsActive))
            {
                if (record.Attempts >= options.Value.MaxAttempts)
                {
                    logger.LogWarning("Stage {Stage} of project {ProjectId} was interrupted {Attempts} times; failing it", record.Stage, projectId, record.Attempts);
                    record.Status = StageStatus.Failed;
                    record.Error = $"The run was interrupted {record.Attempts} times (the server stopped while it ran) and has used its {options.Value.MaxAttempts} allowed attempts.";
                    record.FinishedAt = clock.GetUtcNow();
                    await db.SaveChangesAsync(cancellationToken);
                    var reporter = new StageReporter(publisher, projectId, record);
                    await reporter.StageUpdateAsync(StageStatus.Failed, record.Error, cancellationToken);
                    await reporter.ErrorAsync(record.Error, cancellationToken);
                    await AfterStageAsync(project, record, cancellationToken);
                }
                else
                {
                    logger.LogInformation("Resuming stage {Stage} of project {ProjectId} after a restart", record.Stage, projectId);
                    await QueueAsync(project, record, record.PipelineRunId, record.Force, cancellationToken);
                }
            }
        }
    }

    /// <summary>The stage whose output <paramref name="stage"/> needs and which has not produced it yet.</summary>
    public static string? MissingInput(Project project, string stage) => stage switch
    {
        StageNames.Storyboard when string.IsNullOrWhiteSpace(project.RewrittenText) => StageNames.Rewrite,
        StageNames.ImageGeneration when project.Shots.Count == 0 => StageNames.Storyboard,
        StageNames.CameraMovement when project.Shots.Count == 0 => StageNames.Storyboard,
        StageNames.VideoGeneration when project.Shots.Count == 0 => StageNames.Storyboard,
        StageNames.VideoGeneration when project.Shots.Any(s => s.ImagePath is null) => StageNames.ImageGeneration,
        StageNames.VideoGeneration when project.Shots.Any(s => s.CameraMove is null) => StageNames.CameraMovement,
        _ => null,
    };

    private static void EnsureIdle(Project project)
    {
        if (project.Stages.FirstOrDefault(s => s.IsActive) is { } active)
        {
            throw new ConflictException("Already running",
                $"Stage '{active.Stage}' of this project is {active.Status.ToWire()}. Wait for it to end or cancel it first.");
        }
    }

    private async Task AdvanceAsync(Project project, int fromIndex, CancellationToken cancellationToken)
    {
        for (var i = fromIndex; i < StageNames.All.Count; i++)
        {
            var record = project.Stage(StageNames.All[i]);
            if (record.Status == StageStatus.Completed && !project.PipelineForce)
            {
                record.RunId = Project.NewId();
                record.PipelineRunId = project.PipelineRunId;
                await db.SaveChangesAsync(cancellationToken);
                await new StageReporter(publisher, project.Id, record).StageUpdateAsync(StageStatus.Skipped, "Already completed", cancellationToken);
                continue;
            }
            await QueueAsync(project, record, project.PipelineRunId, project.PipelineForce, cancellationToken);
            return;
        }
        project.Status = ProjectStatus.Completed;
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        await publisher.PublishAsync(PipelineEvent(project, EventTypes.PipelineDone) with
        {
            Message = "Pipeline completed",
            Metadata = Summary(project, failed: null),
        }, cancellationToken);
    }

    private async Task QueueAsync(Project project, StageRecord record, string? pipelineRunId, bool force, CancellationToken cancellationToken)
    {
        record.RunId = Project.NewId();
        record.PipelineRunId = pipelineRunId;
        record.Force = force;
        record.Status = StageStatus.Queued;
        record.Progress = 0;
        record.Error = null;
        project.Status = ProjectStatus.Running;
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        await new StageReporter(publisher, project.Id, record).StageUpdateAsync(StageStatus.Queued, "Queued", cancellationToken);
        await queue.EnqueueAsync(new StageRunRequest(project.Id, record.Stage, record.RunId), cancellationToken);
    }

    private Task PublishPipelineCancelledAsync(Project project, CancellationToken cancellationToken) =>
        publisher.PublishAsync(PipelineEvent(project, EventTypes.StageUpdate) with { Status = "cancelled", Message = "Pipeline cancelled" }, cancellationToken).AsTask();

    private static StageEvent PipelineEvent(Project project, string type) => new()
    {
        Type = type,
        ProjectId = project.Id,
        Stage = StageNames.Pipeline,
        RunId = project.PipelineRunId!,
        PipelineRunId = project.PipelineRunId,
    };

    private static JsonObject Summary(Project project, string? failed)
    {
        var completed = new JsonArray();
        foreach (var stage in project.Stages.Where(s => s.Status == StageStatus.Completed).OrderBy(s => StageNames.IndexOf(s.Stage)))
        {
            completed.Add(stage.Stage);
        }
        var summary = new JsonObject { ["completed_stages"] = completed };
        if (failed is not null)
        {
            summary["failed_stage"] = failed;
        }
        return summary;
    }
}
