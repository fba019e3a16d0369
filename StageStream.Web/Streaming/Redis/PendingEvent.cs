using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>An event with its id, on its way to Redis (or recently written to it).</summary>
internal sealed class PendingEvent(StageEvent stageEvent, string token, DateTimeOffset enqueuedAt)
{
    public StageEvent Event { get; } = stageEvent;

    /// <summary>Lets a retried append recognise its own entry if the first attempt did reach Redis.</summary>
    public string Token { get; } = token;

    public DateTimeOffset EnqueuedAt { get; } = enqueuedAt;

    public bool DeliveredLocally { get; set; }
}
