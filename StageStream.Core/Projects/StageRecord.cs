namespace StageStream.Core.Projects;

/// <summary>The state of one stage of one project: its latest run.</summary>
public sealed class StageRecord
{
    public int Id { get; init; }
    public required string ProjectId { get; init; }
    public required string Stage { get; init; }
    /// <summary>Changed through <see cref="StageStatuses.MoveTo"/>, which keeps to the allowed transitions.</summary>
    public StageStatus Status { get; set; } = StageStatus.Pending;
    public int Progress { get; set; }
    public string? Error { get; set; }

    /// <summary>The <see cref="Error"/>'s code and values (<see cref="CodedError"/> as JSON), for the pages to say in the reader's language.</summary>
    public string? ErrorCode { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The id of the latest run: every event of that run carries it.</summary>
    public string? RunId { get; set; }

    /// <summary>Set while the run belongs to a pipeline run; the next stage follows when it completes.</summary>
    public string? PipelineRunId { get; set; }
    public bool Force { get; set; }

    /// <summary>
    /// The scheduler job that runs the queued run. It stays the same when a run interrupted by a stop or
    /// a crash restarts under a new <see cref="RunId"/>; a new start of the stage gets a new job.
    /// </summary>
    public string? JobId { get; set; }

    /// <summary>
    /// Who started the latest run: the user's name, or <c>user/key</c> for an API key; for a pipeline's later stages,
    /// who started the pipeline. Null without accounts.
    /// </summary>
    public string? StartedBy { get; set; }

    /// <summary>Which provider made the output ("offline", "openai", ...).</summary>
    public string? Provider { get; set; }

    public bool IsActive => Status.IsActive();
}
