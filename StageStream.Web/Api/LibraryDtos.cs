using StageStream.Core.Pipeline;
using StageStream.Core.Projects;

namespace StageStream.Web.Api;

public sealed record RenameProjectRequest(string? Name);

public sealed record DuplicateProjectRequest(string? Name = null);

/// <summary>One finished run of a stage; <c>duration_seconds</c> from start to end.</summary>
public sealed record StageRunDto(
    string Stage, string RunId, string? PipelineRunId, int Attempt, string Status, DateTimeOffset StartedAt, DateTimeOffset FinishedAt,
    double DurationSeconds, string? Error, string? StartedBy, CodedError? ErrorCode = null);

/// <summary>The time the rest of the pipeline should take on this machine; null fields where there is no history yet.</summary>
public sealed record EstimateDto(double? RemainingSeconds, IReadOnlyDictionary<string, double> StageSeconds);

public static class LibraryDtoMapping
{
    public static StageRunDto ToDto(this StageRun r) => new(
        r.Stage, r.RunId, r.PipelineRunId, r.Attempt, r.Status.ToWire(), r.StartedAt, r.FinishedAt,
        Math.Round(r.Duration.TotalSeconds, 3), r.Error, r.StartedBy, CodedError.FromJson(r.ErrorCode));

    public static EstimateDto ToDto(this PipelineEstimate e) => new(
        e.Remaining is { } left ? Math.Round(left.TotalSeconds, 1) : null,
        e.Stages.ToDictionary(s => s.Key, s => Math.Round(s.Value.TotalSeconds, 1)));
}
