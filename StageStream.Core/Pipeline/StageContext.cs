using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>What a stage executor works with: the project, its record, the database, the reporter.</summary>
public sealed class StageContext(
    Project project, StageRecord record, StageStreamDbContext db, StageReporter reporter, DataFolder data, PipelineOptions options)
{
    public Project Project => project;
    public StageRecord Record => record;
    public StageStreamDbContext Db => db;
    public StageReporter Report => reporter;
    public DataFolder Data => data;
    public PipelineOptions Options => options;

    /// <summary>The project's frame size: the configured size in the project's aspect ratio.</summary>
    public (int Width, int Height) FrameSize => AspectRatios.Size(project.AspectRatio, options.Width, options.Height);

    /// <summary>Re-do work that exists already (a forced run); otherwise only what is missing.</summary>
    public bool Force => record.Force;

    public Task SaveAsync(CancellationToken cancellationToken) => db.SaveChangesAsync(cancellationToken);

    /// <summary>Stores the progress on the record and publishes it.</summary>
    public async Task ProgressAsync(int current, int total, string? message, CancellationToken cancellationToken)
    {
        record.Progress = StageReporter.PercentOf(current, total);
        await db.SaveChangesAsync(cancellationToken);
        await reporter.ProgressAsync(current, total, message, cancellationToken);
    }

    /// <summary>A new media file name for this run, so a re-run never serves a stale cached file.</summary>
    public string NewMediaPath(string prefix, int sequence, string extension) =>
        Path.Combine(data.ProjectMediaFolder(project.Id), $"{prefix}-{sequence:D3}-{record.RunId![..8]}.{extension}");
}

public interface IStageExecutor
{
    string Stage { get; }

    Task<StageOutcome> ExecuteAsync(StageContext context, CancellationToken cancellationToken);
}

/// <summary>Some shots failed; the others are kept, and a plain re-run retries only the failed ones.</summary>
/// <remarks>Coded <c>shots_failed</c> with the shots, then the first shot's error: its own code (the cause) or, without one, its message.</remarks>
public sealed class ShotsFailedException(string stage, IReadOnlyList<int> failedShots, Exception firstError)
    : Exception($"{stage}: shot{(failedShots.Count > 1 ? "s" : "")} {string.Join(", ", failedShots)} failed ({firstError.Message}). Run the stage again to retry only the failed shots.",
        firstError), ICodedError
{
    public IReadOnlyList<int> FailedShots { get; } = failedShots;

    public string? Code => "shots_failed";

    public object[] Args { get; } = firstError is ICodedError { Code: not null } ? [string.Join(", ", failedShots)] : [string.Join(", ", failedShots), firstError.Message];
}
