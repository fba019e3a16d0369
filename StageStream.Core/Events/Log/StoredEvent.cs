using System.Text.Json;

namespace StageStream.Core.Events.Log;

/// <summary>
/// One event as the durable log stores it: the columns retention and reads select on, and the event's
/// JSON (its wire form; a token's delta only, never its full text). Keyed by project and id.
/// </summary>
public sealed class StoredEvent
{
    public required string ProjectId { get; init; }

    /// <summary>The SSE id, increasing per project across restarts.</summary>
    public long Id { get; init; }

    public required string RunId { get; init; }
    public string? PipelineRunId { get; init; }
    public required string Stage { get; init; }
    public required string Type { get; init; }

    /// <summary>Epoch seconds, as in the event.</summary>
    public double Timestamp { get; init; }

    /// <summary>The event's JSON, as clients receive it (snake_case, nulls omitted), without its id.</summary>
    public required string Payload { get; init; }

    /// <summary>The row of an event whose JSON (<see cref="PayloadOf"/>) is already made.</summary>
    public static StoredEvent From(StageEvent e, string payload) => new()
    {
        ProjectId = e.ProjectId,
        Id = e.Id,
        RunId = e.RunId,
        PipelineRunId = e.PipelineRunId,
        Stage = e.Stage,
        Type = e.Type,
        Timestamp = e.Timestamp,
        Payload = payload,
    };

    public static StoredEvent From(StageEvent e) => From(e, PayloadOf(e));

    public static string PayloadOf(StageEvent e) => JsonSerializer.Serialize(e, EventJsonContext.Wire.StageEvent);

    public StageEvent ToEvent() =>
        (JsonSerializer.Deserialize(Payload, EventJsonContext.Wire.StageEvent)
            ?? throw new InvalidDataException($"Event {ProjectId}/{Id} has an empty payload.")) with { Id = Id };
}
