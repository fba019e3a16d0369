using System.Runtime.CompilerServices;
using System.Text;

namespace StageStream.Core.Events;

/// <summary>The only way events are read, by the SSE endpoint and the pages alike.</summary>
public interface IEventSubscriptions
{
    /// <summary>
    /// Subscribes to one project's events, of one stage or (stage null) of all stages and the pipeline.
    /// With <paramref name="afterId"/>, replays every selected event after it; without, replays the
    /// stream's latest run from its start. Then continues live, in order, with no duplicates.
    /// </summary>
    Task<EventSubscription> SubscribeAsync(string projectId, string? stage, long? afterId, CancellationToken cancellationToken);
}

public sealed class EventSubscriptions(EventHub hub, IEventTransport transport) : IEventSubscriptions
{
    public async Task<EventSubscription> SubscribeAsync(string projectId, string? stage, long? afterId, CancellationToken cancellationToken)
    {
        // Live first, then history: nothing published in between can fall through the gap.
        var subscriber = hub.Register(projectId, stage);
        try
        {
            var history = await transport.ReadAsync(projectId, 0, cancellationToken);
            var plan = ReplayPlan.For(history, stage, afterId);
            return new EventSubscription(hub, subscriber, plan.Replay, plan.StartId, plan.AlreadyEnded);
        }
        catch
        {
            hub.Remove(subscriber);
            throw;
        }
    }

    /// <summary>What a new subscriber receives before live events, worked out from the retained history.</summary>
    internal sealed record ReplayPlan(IReadOnlyList<DeliveredEvent> Replay, long StartId, bool AlreadyEnded)
    {
        public static ReplayPlan For(IReadOnlyList<StageEvent> history, string? stage, long? afterId)
        {
            var latest = history.LastOrDefault(e => StreamRules.Selects(e, stage));
            var latestRun = latest is null ? null : StreamRules.RunOf(latest, stage);
            long from;
            long startId;
            if (afterId is { } after)
            {
                from = after + 1;
                startId = after;
            }
            else if (latestRun is not null)
            {
                from = history.First(e => StreamRules.Selects(e, stage) && StreamRules.RunOf(e, stage) == latestRun).Id;
                startId = from - 1;
            }
            else
            {
                from = long.MaxValue;
                startId = history.Count > 0 ? history[^1].Id : 0;
            }

            var replay = new List<DeliveredEvent>();
            var runTexts = new Dictionary<string, StringBuilder>();
            foreach (var e in history)
            {
                string? fullText = null;
                if (e.Type == EventTypes.Token)
                {
                    if (!runTexts.TryGetValue(e.RunId, out var text))
                    {
                        runTexts[e.RunId] = text = new StringBuilder();
                    }
                    text.Append(e.Content);
                    if (e.Id >= from && StreamRules.Selects(e, stage))
                    {
                        fullText = text.ToString();
                    }
                }
                if (e.Id >= from && StreamRules.Selects(e, stage))
                {
                    replay.Add(new DeliveredEvent(e, fullText));
                }
            }

            var alreadyEnded = afterId is not null && replay.Count == 0 && latestRun is not null
                && history.Any(e => StreamRules.Selects(e, stage) && StreamRules.RunOf(e, stage) == latestRun
                    && StreamRules.Ends(e, stage) && e.Id <= afterId);
            return new ReplayPlan(replay, startId, alreadyEnded);
        }
    }
}

/// <summary>
/// One reader's view of a stream: replayed events, then live ones, ending after the message that
/// ends the stream's run. Dispose it to release the subscription at once.
/// </summary>
public sealed class EventSubscription : IAsyncDisposable, IDisposable
{
    private readonly EventHub _hub;
    private readonly Subscriber _subscriber;
    private readonly IReadOnlyList<DeliveredEvent> _replay;

    internal EventSubscription(EventHub hub, Subscriber subscriber, IReadOnlyList<DeliveredEvent> replay, long startId, bool alreadyEnded)
    {
        _hub = hub;
        _subscriber = subscriber;
        _replay = replay;
        StartId = startId;
        AlreadyEnded = alreadyEnded;
    }

    public string ProjectId => _subscriber.ProjectId;
    public string? Stage => _subscriber.Stage;

    /// <summary>The id to give the <c>connected</c> message: resuming from it loses nothing this stream would send.</summary>
    public long StartId { get; }

    /// <summary>The client resumed after the end of the stream's latest run and there is nothing new.</summary>
    public bool AlreadyEnded { get; }

    /// <summary>Why the stream ended (<c>done</c>, <c>error</c>, <c>cancelled</c>, ...), once it has.</summary>
    public string? EndReason { get; private set; }

    /// <summary>The id of the last event read.</summary>
    public long LastId { get; private set; }

    /// <summary>
    /// Replay, then live events, stopping after the one that ends the stream.
    /// Throws <see cref="SubscriberLaggedException"/> if this reader fell too far behind.
    /// </summary>
    public async IAsyncEnumerable<DeliveredEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        LastId = StartId;
        foreach (var delivered in _replay)
        {
            LastId = delivered.Id;
            yield return delivered;
            if (Ended(delivered))
            {
                yield break;
            }
        }
        while (await _subscriber.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_subscriber.Reader.TryRead(out var delivered))
            {
                if (delivered.Id <= LastId)
                {
                    continue;
                }
                LastId = delivered.Id;
                yield return delivered;
                if (Ended(delivered))
                {
                    yield break;
                }
            }
        }
        // A completed channel with an error rethrows it here (SubscriberLaggedException).
        await _subscriber.Reader.Completion;
    }

    private bool Ended(DeliveredEvent delivered)
    {
        EndReason = StreamRules.EndReason(delivered.Event, Stage);
        return EndReason is not null;
    }

    public void Dispose()
    {
        _subscriber.Close();
        _hub.Remove(_subscriber);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
