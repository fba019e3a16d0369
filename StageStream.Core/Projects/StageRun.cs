namespace StageStream.Core.Projects;

/// <summary>
/// One finished run of one stage of a project, kept for the project's run history and for estimating how
/// long the next run takes on this machine (per stage, and per shot for the shot stages).
/// </summary>
public sealed class StageRun
{
    public long Id { get; init; }
    public required string ProjectId { get; init; }
    public required string Stage { get; init; }
    public required string RunId { get; init; }
    public string? PipelineRunId { get; init; }
    public int Attempt { get; init; }
    public StageStatus Status { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset FinishedAt { get; init; }
    public string? Error { get; init; }

    /// <summary>The error's code and values, as in <see cref="StageRecord.ErrorCode"/>.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The shots the project had when the run ended: the size of the work, for per-shot estimates.</summary>
    public int ShotCount { get; init; }

    /// <summary>The story's length in characters when the run ended: the size of the work of the text stages.</summary>
    public int TextLength { get; init; }

    /// <summary>Who started it (see <see cref="StageRecord.StartedBy"/>); null without accounts.</summary>
    public string? StartedBy { get; init; }

    public TimeSpan Duration => FinishedAt - StartedAt;

    /// <summary>The run that <paramref name="record"/> just ended (it started at <see cref="StageRecord.StartedAt"/>).</summary>
    public static StageRun Of(Project project, StageRecord record) => new()
    {
        ProjectId = project.Id,
        Stage = record.Stage,
        RunId = record.RunId ?? "",
        PipelineRunId = record.PipelineRunId,
        Attempt = record.Attempts,
        Status = record.Status,
        StartedAt = record.StartedAt ?? record.FinishedAt ?? DateTimeOffset.UnixEpoch,
        FinishedAt = record.FinishedAt ?? record.StartedAt ?? DateTimeOffset.UnixEpoch,
        Error = record.Error,
        ErrorCode = record.ErrorCode,
        ShotCount = project.Shots.Count,
        TextLength = project.OriginalText.Length,
        StartedBy = record.StartedBy,
    };
}
