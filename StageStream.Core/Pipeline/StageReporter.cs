using System.Text.Json.Nodes;
using StageStream.Core.Events;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>Publishes the events of one stage run, each carrying the run's ids.</summary>
public sealed class StageReporter(IEventPublisher publisher, string projectId, StageRecord record)
{
    public StageEvent NewEvent(string type) => new()
    {
        Type = type,
        ProjectId = projectId,
        Stage = record.Stage,
        RunId = record.RunId ?? throw new InvalidOperationException("The stage record has no run id."),
        PipelineRunId = record.PipelineRunId,
    };

    public ValueTask<StageEvent> TokenAsync(string delta, CancellationToken cancellationToken = default) =>
        publisher.PublishAsync(NewEvent(EventTypes.Token) with { Content = delta }, cancellationToken);

    /// <summary>A failure's <paramref name="code"/> goes in <c>metadata.error_code</c>, for pages to say it in their reader's language.</summary>
    public ValueTask<StageEvent> StageUpdateAsync(StageStatus status, string? message = null, CancellationToken cancellationToken = default, CodedError? code = null) =>
        publisher.PublishAsync(NewEvent(EventTypes.StageUpdate) with
        {
            Status = status.ToWire(),
            Progress = record.Progress,
            Message = message,
            Attempt = AttemptOf(status),
            Metadata = code?.AddTo(),
        }, cancellationToken);

    public ValueTask<StageEvent> ProgressAsync(int current, int total, string? message, CancellationToken cancellationToken = default) =>
        publisher.PublishAsync(NewEvent(EventTypes.Progress) with
        {
            Current = current,
            Total = total,
            Progress = PercentOf(current, total),
            Message = message,
        }, cancellationToken);

    public ValueTask<StageEvent> ItemCompletedAsync(string itemType, int sequenceNumber, JsonObject? metadata, CancellationToken cancellationToken = default) =>
        publisher.PublishAsync(NewEvent(EventTypes.ItemCompleted) with
        {
            ItemType = itemType,
            SequenceNumber = sequenceNumber,
            Metadata = metadata,
        }, cancellationToken);

    /// <summary>
    /// <c>done</c>, then <c>stage_completed</c> (type, project_id, stage, message, timestamp, as the origin system sent it):
    /// the origin's pages clear a stage's loading state on the latter. Returns the <c>done</c>.
    /// </summary>
    public async ValueTask<StageEvent> DoneAsync(StageOutcome outcome, CancellationToken cancellationToken = default)
    {
        var done = await publisher.PublishAsync(NewEvent(EventTypes.Done) with
        {
            FullText = outcome.FullText ?? "",
            Result = outcome.Result,
            Metadata = outcome.Metadata,
        }, cancellationToken);
        await publisher.PublishAsync(NewEvent(EventTypes.StageCompleted) with { Message = $"Stage {record.Stage} completed" }, cancellationToken);
        return done;
    }

    public ValueTask<StageEvent> ErrorAsync(string error, CancellationToken cancellationToken = default, CodedError? code = null) =>
        publisher.PublishAsync(NewEvent(EventTypes.Error) with
        {
            Error = error,
            RetryCount = Math.Max(0, record.Attempts - 1),
            Metadata = code?.AddTo(),
        }, cancellationToken);

    /// <summary>The attempt a stage_update speaks of: a queued run is the next attempt, a skipped stage none.</summary>
    private int? AttemptOf(StageStatus status) => status switch
    {
        StageStatus.Queued => record.Attempts + 1,
        StageStatus.Skipped or StageStatus.Pending => null,
        _ => record.Attempts > 0 ? record.Attempts : null,
    };

    /// <summary>current/total*100, floored, as the old system computed it.</summary>
    public static int PercentOf(int current, int total) => total <= 0 ? 0 : Math.Clamp(current * 100 / total, 0, 100);
}

/// <summary>What a finished stage reports in its <c>done</c> message.</summary>
public sealed record StageOutcome(string? FullText = null, string? Result = null, JsonObject? Metadata = null);

public static class ProjectStatusWire
{
    public static string ToWire(this ProjectStatus status) => status.ToString().ToLowerInvariant();
}
