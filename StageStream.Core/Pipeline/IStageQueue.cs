namespace StageStream.Core.Pipeline;

/// <summary>Hands a queued stage run to the job scheduler (Quartz in the web host).</summary>
public interface IStageQueue
{
    Task EnqueueAsync(StageRunRequest run, CancellationToken cancellationToken);
}

/// <summary>One stage run to execute: the record's run id must still match when it starts.</summary>
public sealed record StageRunRequest(string ProjectId, string Stage, string RunId);
