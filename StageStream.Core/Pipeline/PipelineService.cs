using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StageStream.Core.Events;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>
/// Starts, chains and cancels stage runs. A pipeline run is a chain: each stage run, when
/// it completes, queues the next; the state lives in the stage records, so a restart can resume it.
/// </summary>
public sealed class PipelineService(
    StageStreamDbContext db,
    IEventPublisher publisher,
    IStageQueue queue,
    RunningStages running,
    TimeProvider clock,
    ILogger<PipelineService> logger)
{
    /// <summary>
    /// Queues one stage. 409 if anything of the project is running, if its input is missing, or if it is done and not forced.
    /// <paramref name="startedBy"/> names who asked, for the run history.
    /// </summary>
    public async Task<StageRecord> StartStageAsync(Project project, string stage, bool force, CancellationToken cancellationToken, string? startedBy = null)
    {
        if (!StageCatalog.IsValid(stage))
        {
            throw NotFoundException.Stage(stage);
        }
        EnsureIdle(project);
        var record = project.Stage(stage);
        if (MissingInput(project, stage) is { } first)
        {
            throw new ConflictException("Stage input missing",
                $"Stage '{stage}' needs the output of '{first}', which does not exist yet. Run '{first}' first.") { Code = "stage_input_missing", Args = [stage, first] };
        }
        if (record.Status == StageStatus.Completed && !force)
        {
            throw new ConflictException("Stage already completed",
                $"Stage '{stage}' is already completed. Add ?force=true to run it again.") { Code = "stage_completed", Args = [stage] };
        }
        project.CancelRequested = false;
        await QueueAsync(project, record, pipelineRunId: null, force, startedBy, cancellationToken);
        return record;
    }

    /// <summary>
    /// Runs the five stages in order, skipping completed ones unless forced; stops at the first failure. Each stage's
    /// run is recorded as started by <paramref name="startedBy"/>.
    /// </summary>
    public async Task<string> StartPipelineAsync(Project project, bool force, CancellationToken cancellationToken, string? startedBy = null)
    {
        EnsureIdle(project);
        project.CancelRequested = false;
        project.PipelineRunId = Project.NewId();
        project.PipelineForce = force;
        project.Status = ProjectStatus.Running;
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        await publisher.PublishAsync(PipelineEvent(project, EventTypes.StageUpdate) with { Status = StageStatus.Processing.ToWire(), Progress = 0, Message = "Pipeline started" }, cancellationToken);
        await AdvanceAsync(project, 0, startedBy, cancellationToken);
        return project.PipelineRunId;
    }

    /// <summary>
    /// Sets the project's status for how a stage run ended; the runner saves it with the stage record,
    /// before any event tells clients about the end.
    /// </summary>
    public void ApplyOutcome(Project project, StageRecord record)
    {
        var inPipeline = InPipeline(project, record);
        project.Status = record.Status switch
        {
            StageStatus.Completed when inPipeline => project.Status,
            StageStatus.Completed => project.Stages.All(s => s.Status == StageStatus.Completed) ? ProjectStatus.Completed : ProjectStatus.Draft,
            StageStatus.Failed => ProjectStatus.Failed,
            StageStatus.Cancelled => ProjectStatus.Cancelled,
            _ => project.Status,
        };
        project.UpdatedAt = clock.GetUtcNow();
    }

    /// <summary>Called by the runner after a stage run's end is saved and published: the pipeline goes on or ends.</summary>
    public async Task AfterStageAsync(Project project, StageRecord record, CancellationToken cancellationToken)
    {
        if (!InPipeline(project, record))
        {
            return;
        }
        switch (record.Status)
        {
            case StageStatus.Completed:
                await AdvanceAsync(project, StageCatalog.IndexOf(record.Stage) + 1, record.StartedBy, cancellationToken);
                break;
            case StageStatus.Failed:
                // Said on the pages as "stage_failed" with the stage's own coded error, or without one its message.
                var cause = CodedError.FromJson(record.ErrorCode);
                var code = new CodedError("stage_failed", cause is null ? [record.Stage, record.Error ?? ""] : [record.Stage], cause);
                await publisher.PublishAsync(PipelineEvent(project, EventTypes.PipelineError) with
                {
                    Error = $"Stage '{record.Stage}' failed: {record.Error}",
                    Metadata = code.AddTo(Summary(project, failed: record.Stage)),
                }, cancellationToken);
                break;
            case StageStatus.Cancelled:
                await PublishPipelineCancelledAsync(project, cancellationToken);
                break;
        }
    }

    /// <summary>
    /// A pipeline whose server stopped or died after a stage's end was saved but before the next stage was queued:
    /// still running, no stage active, the last stage of its run completed. It goes on from there; the recovered job
    /// of that stage calls this. False when the pipeline is not in that state.
    /// </summary>
    public async Task<bool> ContinueStalledAsync(Project project, CancellationToken cancellationToken)
    {
        if (project.Status != ProjectStatus.Running || project.PipelineRunId is null || project.Stages.Any(s => s.IsActive))
        {
            return false;
        }
        var last = project.Stages.Where(s => s.PipelineRunId == project.PipelineRunId).MaxBy(s => StageCatalog.IndexOf(s.Stage));
        // A failed or cancelled stage set the project's status in the same save as its own, so only a completed one is left.
        if (last is not { Status: StageStatus.Completed })
        {
            return false;
        }
        logger.LogWarning("Pipeline of project {ProjectId} stopped after {Stage} completed, before the next stage was queued; going on",
            project.Id, last.Stage);
        await AdvanceAsync(project, StageCatalog.IndexOf(last.Stage) + 1, last.StartedBy, cancellationToken);
        return true;
    }

    private static bool InPipeline(Project project, StageRecord record) =>
        record.PipelineRunId is not null && record.PipelineRunId == project.PipelineRunId;

    /// <summary>
    /// Stops the project's work. A run executing here (or waiting for its slot) is signalled and its runner
    /// records and publishes the cancellation within moments; a run only queued, or running on another
    /// server, is cancelled here; a pipeline between two stages stops before queuing the next.
    /// </summary>
    public async Task CancelAsync(Project project, CancellationToken cancellationToken)
    {
        await db.Projects.Where(p => p.Id == project.Id)
            .ExecuteUpdateAsync(set => set.SetProperty(p => p.CancelRequested, true), cancellationToken);
        // The stages as they are now, not as loaded before the flag was set: a pipeline that queued its next stage
        // (and a runner that claimed it) in between would otherwise miss both this cancel and the flag.
        foreach (var stage in project.Stages)
        {
            await db.Entry(stage).ReloadAsync(cancellationToken);
        }
        var pipelineEnded = false;
        foreach (var record in project.Stages.Where(s => s.IsActive))
        {
            if (running.Cancel(record.RunId!))
            {
                pipelineEnded = true; // its runner publishes the pipeline's end too
                continue;
            }
            var now = clock.GetUtcNow();
            var cancelled = await db.Stages
                .Where(s => s.Id == record.Id && s.RunId == record.RunId && s.Status == record.Status)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(s => s.Status, StageStatus.Cancelled)
                    .SetProperty(s => s.Error, "Cancelled")
                    .SetProperty(s => s.ErrorCode, (string?)null)
                    .SetProperty(s => s.FinishedAt, now), cancellationToken);
            if (cancelled == 0)
            {
                // A runner here claimed it a moment ago: it is registered, so the signal reaches it.
                running.Cancel(record.RunId!);
                pipelineEnded = true;
                continue;
            }
            await db.Projects.Where(p => p.Id == project.Id)
                .ExecuteUpdateAsync(set => set.SetProperty(p => p.Status, ProjectStatus.Cancelled).SetProperty(p => p.UpdatedAt, now), cancellationToken);
            record.MoveTo(StageStatus.Cancelled);
            await new StageReporter(publisher, project.Id, record).StageUpdateAsync(StageStatus.Cancelled, "Cancelled", cancellationToken);
            if (!pipelineEnded && InPipeline(project, record))
            {
                pipelineEnded = true;
                await PublishPipelineCancelledAsync(project, cancellationToken);
            }
        }
    }

    /// <summary>The stage whose output <paramref name="stage"/> needs and which has not produced it yet.</summary>
    public static string? MissingInput(Project project, string stage) => StageCatalog.Of(stage).MissingInput(project);

    private static void EnsureIdle(Project project)
    {
        if (project.Stages.FirstOrDefault(s => s.IsActive) is { } active)
        {
            throw new ConflictException("Already running",
                $"Stage '{active.Stage}' of this project is {active.Status.ToWire()}. Wait for it to end or cancel it first.") { Code = "project_running", Args = [active.Stage] };
        }
    }

    private async Task AdvanceAsync(Project project, int fromIndex, string? startedBy, CancellationToken cancellationToken)
    {
        if (await db.Projects.AsNoTracking().Where(p => p.Id == project.Id).Select(p => p.CancelRequested).SingleAsync(cancellationToken))
        {
            logger.LogInformation("Pipeline of project {ProjectId} cancelled between stages", project.Id);
            project.Status = ProjectStatus.Cancelled;
            project.UpdatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            await PublishPipelineCancelledAsync(project, cancellationToken);
            return;
        }
        for (var i = fromIndex; i < StageCatalog.Names.Count; i++)
        {
            var record = project.Stage(StageCatalog.Names[i]);
            if (record.Status == StageStatus.Completed && !project.PipelineForce)
            {
                record.RunId = Project.NewId();
                record.PipelineRunId = project.PipelineRunId;
                await db.SaveChangesAsync(cancellationToken);
                await new StageReporter(publisher, project.Id, record).StageUpdateAsync(StageStatus.Skipped, "Already completed", cancellationToken);
                continue;
            }
            await QueueAsync(project, record, project.PipelineRunId, project.PipelineForce, startedBy, cancellationToken);
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

    private async Task QueueAsync(Project project, StageRecord record, string? pipelineRunId, bool force, string? startedBy, CancellationToken cancellationToken)
    {
        record.StartedBy = startedBy is { Length: > 200 } ? startedBy[..200] : startedBy;
        record.RunId = Project.NewId();
        record.JobId = record.RunId;
        record.PipelineRunId = pipelineRunId;
        record.Force = force;
        record.MoveTo(StageStatus.Queued);
        record.Progress = 0;
        record.Error = null;
        record.ErrorCode = null;
        project.Status = ProjectStatus.Running;
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        await new StageReporter(publisher, project.Id, record).StageUpdateAsync(StageStatus.Queued, "Queued", cancellationToken);
        await queue.EnqueueAsync(new StageRunRequest(project.Id, record.Stage, record.JobId), cancellationToken);
    }

    private Task PublishPipelineCancelledAsync(Project project, CancellationToken cancellationToken) =>
        publisher.PublishAsync(PipelineEvent(project, EventTypes.StageUpdate) with { Status = StageStatus.Cancelled.ToWire(), Message = "Pipeline cancelled" }, cancellationToken).AsTask();

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
        foreach (var stage in project.Stages.Where(s => s.Status == StageStatus.Completed).OrderBy(s => StageCatalog.IndexOf(s.Stage)))
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
