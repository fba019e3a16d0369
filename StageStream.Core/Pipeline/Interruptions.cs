using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StageStream.Core.Events;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>
/// A run its server left behind, stopped or killed while the run was processing: its job fires again (Quartz
/// recovers it), and this ends the old run on the wire and starts the stage again as a new run, or fails it
/// once it has used <see cref="PipelineOptions.MaxAttempts"/>.
/// </summary>
public sealed class Interruptions(
    StageStreamDbContext db,
    IEventPublisher publisher,
    PipelineService pipeline,
    IOptions<PipelineOptions> options,
    TimeProvider clock,
    ILogger<Interruptions> logger)
{
    /// <summary>
    /// True when the stage is queued again under a new run id; false when it was failed for good, or another
    /// server handled the interruption first (the status is the concurrency token of the save).
    /// </summary>
    public async Task<bool> RestartAsync(Project project, StageRecord record, CancellationToken cancellationToken)
    {
        var old = new StageReporter(publisher, project.Id, record);
        if (record.Attempts >= options.Value.MaxAttempts)
        {
            logger.LogWarning("Stage {Stage} of project {ProjectId} was interrupted {Attempts} times; failing it", record.Stage, project.Id, record.Attempts);
            record.MoveTo(StageStatus.Failed);
            record.Error = $"The run was interrupted {record.Attempts} times (the server stopped while it ran) and has used its {options.Value.MaxAttempts} allowed attempts.";
            var code = new CodedError("interrupted_too_often", [record.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            record.ErrorCode = code.ToJson();
            record.FinishedAt = clock.GetUtcNow();
            pipeline.ApplyOutcome(project, record);
            await db.SaveChangesAsync(cancellationToken);
            await old.StageUpdateAsync(StageStatus.Failed, record.Error, cancellationToken, code);
            await old.ErrorAsync(record.Error, cancellationToken, code);
            await pipeline.AfterStageAsync(project, record, cancellationToken);
            return false;
        }

        // The old run's terminal message comes first, so clients close its text before the new run's tokens.
        // It is a stage_update, not an error: the origin's client closes a stage stream on any error.
        logger.LogInformation("Restarting stage {Stage} of project {ProjectId}, interrupted when its server stopped (attempt {Attempt})",
            record.Stage, project.Id, record.Attempts + 1);
        await old.StageUpdateAsync(StageStatus.Interrupted,
            $"The server stopped while this run was in progress; restarting as attempt {record.Attempts + 1}.", cancellationToken);
        record.MoveTo(StageStatus.Interrupted);
        record.MoveTo(StageStatus.Queued);
        record.RunId = Project.NewId();
        record.Progress = 0;
        record.Error = null;
        record.ErrorCode = null;
        await db.SaveChangesAsync(cancellationToken);
        await new StageReporter(publisher, project.Id, record).StageUpdateAsync(StageStatus.Queued, "Queued", cancellationToken);
        return true;
    }
}
