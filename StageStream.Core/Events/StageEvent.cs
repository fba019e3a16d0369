using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace StageStream.Core.Events;

/// <summary>
/// One thing that happened to a project, as clients receive it. The JSON of this record is the
/// <c>data:</c> line of the SSE message (snake_case, nulls omitted).
/// Token events hold only their delta (<see cref="Content"/>); <see cref="FullText"/> of a token is
/// filled in by <see cref="EventHub"/> where the message is written, never stored or transported.
/// </summary>
public sealed record StageEvent
{
    /// <summary>Assigned by the transport when appended; increases across each project's events.</summary>
    [JsonIgnore]
    public long Id { get; init; }

    public required string Type { get; init; }
    public required string ProjectId { get; init; }

    /// <summary>A stage name, or <c>pipeline</c> for pipeline-level events.</summary>
    public required string Stage { get; init; }

    /// <summary>The stage run (or, for pipeline events, the pipeline run) this event belongs to.</summary>
    public required string RunId { get; init; }

    /// <summary>The pipeline run a stage run belongs to, if any.</summary>
    public string? PipelineRunId { get; init; }

    /// <summary>Epoch seconds, as the old system sent.</summary>
    public double Timestamp { get; init; }

    public string? Status { get; init; }
    public int? Progress { get; init; }
    public int? Current { get; init; }
    public int? Total { get; init; }
    public string? Message { get; init; }
    public string? Content { get; init; }
    public string? FullText { get; init; }
    public string? Result { get; init; }
    public string? Error { get; init; }
    public int? RetryCount { get; init; }

    /// <summary>On a stage run's <c>stage_update</c>: which attempt at the stage this run is (1 for the first start).</summary>
    public int? Attempt { get; init; }
    public string? ItemType { get; init; }
    public int? SequenceNumber { get; init; }
    public JsonObject? Metadata { get; init; }

    /// <summary>Milliseconds since the Unix epoch when the event was published, for latency measurement.</summary>
    public long? PublishedAtMs { get; init; }

    /// <summary>The run a client of the all-stages stream belongs to: the pipeline run, else the stage run.</summary>
    [JsonIgnore]
    public string RootRunId => PipelineRunId ?? RunId;
}

public static class EventTypes
{
    public const string Connected = "connected";
    public const string Token = "token";
    public const string StageUpdate = "stage_update";
    public const string Progress = "progress";
    public const string ItemCompleted = "item_completed";
    public const string Done = "done";

    /// <summary>Follows each stage's <c>done</c>; sent on the all-stages stream only (the origin system's pages rely on it).</summary>
    public const string StageCompleted = "stage_completed";
    public const string Error = "error";
    public const string PipelineDone = "pipeline_done";
    public const string PipelineError = "pipeline_error";
    public const string StreamEnd = "stream_end";

    /// <summary>Every type a client can receive, for clients and docs.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Connected, Token, StageUpdate, Progress, ItemCompleted, StageCompleted, Done, Error, PipelineDone, PipelineError, StreamEnd];
}
