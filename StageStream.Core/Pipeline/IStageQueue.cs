namespace StageStream.Core.Pipeline;

/// <summary>Hands a queued stage run to the job scheduler (Quartz in the web host), which keeps it across restarts.</summary>
public interface IStageQueue
{
    Task EnqueueAsync(StageRunRequest run, CancellationToken cancellationToken);
}

/// <summary>
/// One job that runs a stage: the record's <see cref="Projects.StageRecord.JobId"/> must still match when it starts.
/// <paramref name="Resuming"/> is set when the job is fired again after its server stopped or died while it ran.
/// </summary>
public sealed record StageRunRequest(string ProjectId, string Stage, string JobId, bool Resuming = false);

/// <summary>How a job's run left the stage, which tells the scheduler whether to keep the job.</summary>
public enum RunEnd
{
    /// <summary>The run ended (or there was nothing left to run): the job is done.</summary>
    Ended,

    /// <summary>This server is stopping in the middle of the run: the job must fire again at the next start.</summary>
    Interrupted,

    /// <summary>The run is in progress under another server: the job belongs to it.</summary>
    RunningElsewhere,
}
