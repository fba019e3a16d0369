namespace StageStream.Core.Events;

/// <summary>The only way an event is born: every state change of a project goes through here.</summary>
public interface IEventPublisher
{
    /// <summary>Stamps the event's time, appends it to the project's log and returns it with its id.</summary>
    ValueTask<StageEvent> PublishAsync(StageEvent stageEvent, CancellationToken cancellationToken = default);
}

public sealed class EventPublisher(IEventTransport transport, TimeProvider clock) : IEventPublisher
{
    public ValueTask<StageEvent> PublishAsync(StageEvent stageEvent, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var stamped = stageEvent with
        {
            Timestamp = now.ToUnixTimeMilliseconds() / 1000.0,
            PublishedAtMs = now.ToUnixTimeMilliseconds(),
            // A token is stored and transported as its delta only; full_text is built where it is written.
            FullText = stageEvent.Type == EventTypes.Token ? null : stageEvent.FullText,
        };
        return transport.AppendAsync(stamped, cancellationToken);
    }
}
