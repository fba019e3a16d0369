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
    /// <exception cref="EventLogUnavailableException">
    /// The project's event log cannot be read at the moment (for example Redis is down and did not come back
    /// within a short retry). Nothing is wrong with the request: callers should try again after a moment
    /// (the SSE endpoint answers with <c>retry: 1000</c> so the browser reconnects; a page shows a notice
    /// and subscribes again).
    /// </exception>
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
            var history = await transport.ReadForStreamAsync(projectId, stage, afterId, cancellationToken);
            var plan = ReplayPlan.For(history, stage, afterId);
            return new EventSubscription(hub, subscriber, plan);
        }
        catch
        {
            hub.Remove(subscriber);
            throw;
        }
    }

    /// <summary>What a new subscriber receives before live events, worked out from the retained history.</summary>
    /// <remarks>
    /// Holds the events, not their messages: a token's message carries the whole text so far, so
    /// building every message up front would hold the square of the run's text in memory per
    /// subscriber. <see cref="Messages"/> builds them one at a time as the reader takes them.
    /// </remarks>
    internal sealed class ReplayPlan(IReadOnlyList<StageEvent> events, Dictionary<string, string> textBefore, long startId, bool alreadyEnded)
    {
        public IReadOnlyList<StageEvent> Events { get; } = events;
        public long StartId { get; } = startId;
        public bool AlreadyEnded { get; } = alreadyEnded;

        /// <summary>The replayed messages, a token's <c>full_text</c> continuing its run's text from before the replay.</summary>
        /// <remarks>A token's full text is read from the run's growing text on first use: use each message on the reader's own flow, never while the next is being taken.</remarks>
        public IEnumerable<DeliveredEvent> Messages()
        {
            var runTexts = new Dictionary<string, StringBuilder>();
            foreach (var e in Events)
            {
                if (e.Type != EventTypes.Token)
                {
                    yield return new DeliveredEvent(e) { Replayed = true };
                    continue;
                }
                if (!runTexts.TryGetValue(e.RunId, out var text))
                {
                    runTexts[e.RunId] = text = new StringBuilder(textBefore.GetValueOrDefault(e.RunId, ""));
                }
                text.Append(e.Content);
                // The full text is copied out only if the reader asks for it (a lean stream asks once per run).
                yield return new DeliveredEvent(e, text, text.Length);
            }
        }

        public static ReplayPlan For(IReadOnlyList<StageEvent> history, string? stage, long? afterId)
        {
            var latest = history.LastOrDefault(e => StreamRules.Selects(e, stage));
            var latestRun = latest is null ? null : StreamRules.RunOf(latest, stage);
            // Replays the events with an id above this one. Compared as "above", never as "from after + 1",
            // so a resume from long.MaxValue replays nothing instead of overflowing into everything.
            long after;
            long startId;
            if (afterId is { } resumed)
            {
                after = startId = resumed;
            }
            else if (latestRun is not null)
            {
                startId = history.First(e => StreamRules.Selects(e, stage) && StreamRules.RunOf(e, stage) == latestRun).Id - 1;
                after = startId;
            }
            else
            {
                // Nothing selected yet: the stream waits for the next event.
                after = startId = history.Count > 0 ? history[^1].Id : 0;
            }

            var replay = new List<StageEvent>();
            var textBefore = new Dictionary<string, StringBuilder>();
            foreach (var e in history)
            {
                if (e.Id > after)
                {
                    if (StreamRules.Selects(e, stage))
                    {
                        replay.Add(e);
                    }
                }
                else if (e.Type == EventTypes.Token)
                {
                    // A resume in the middle of a run: its tokens continue the text sent before.
                    if (!textBefore.TryGetValue(e.RunId, out var text))
                    {
                        textBefore[e.RunId] = text = new StringBuilder();
                    }
                    text.Append(e.Content);
                }
            }
            var replayedRuns = replay.Where(e => e.Type == EventTypes.Token).Select(e => e.RunId).ToHashSet();
            var prefixes = textBefore.Where(pair => replayedRuns.Contains(pair.Key)).ToDictionary(pair => pair.Key, pair => pair.Value.ToString());

            var alreadyEnded = afterId is not null && replay.Count == 0 && latestRun is not null
                && history.Any(e => StreamRules.Selects(e, stage) && StreamRules.RunOf(e, stage) == latestRun
                    && StreamRules.Ends(e, stage) && e.Id <= afterId);
            return new ReplayPlan(replay, prefixes, startId, alreadyEnded);
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
    // Dropped once replayed: a late joiner's plan can list thousands of tokens, and the stream may stay open for hours.
    private EventSubscriptions.ReplayPlan? _replay;

    internal EventSubscription(EventHub hub, Subscriber subscriber, EventSubscriptions.ReplayPlan replay)
    {
        _hub = hub;
        _subscriber = subscriber;
        _replay = replay;
        StartId = replay.StartId;
        AlreadyEnded = replay.AlreadyEnded;
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
    /// Cancelled the moment the hub cuts this reader off for falling more than its buffer behind.
    /// A writer blocked on a client that stopped reading uses it to give up at once; the client
    /// then catches up by resuming from its last id.
    /// </summary>
    public CancellationToken CutOff => _subscriber.CutOff;

    /// <summary>
    /// Makes <see cref="ReadAllAsync"/> soon yield <see cref="DeliveredEvent.WakeUp"/> (not an event), so a reader
    /// that only ever awaits its next message can look at its clock (heartbeats, idle timeout) without a timer of its own.
    /// Does nothing, and returns false, if the buffer is full or closed: the reader then has messages to read anyway, or is gone.
    /// </summary>
    public bool Wake() => _subscriber.TryWake();

    /// <summary>
    /// Replay, then live events, stopping after the one that ends the stream.
    /// Throws <see cref="SubscriberLaggedException"/> if this reader fell too far behind.
    /// </summary>
    public async IAsyncEnumerable<DeliveredEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        LastId = StartId;
        var replay = _replay!.Messages().GetEnumerator();
        _replay = null;
        using (replay)
        {
            while (replay.MoveNext())
            {
                var delivered = replay.Current;
                cancellationToken.ThrowIfCancellationRequested();
                LastId = delivered.Id;
                yield return delivered;
                if (Ended(delivered))
                {
                    yield break;
                }
            }
        }
        // The iterator keeps its locals as fields: let go of the plan for the rest of the stream.
        replay = null!;
        // The wait takes no token: with one, the channel allocates a waiter and a cancellation
        // registration on every wait (per subscriber per event); without, it reuses one waiter.
        // Cancellation completes the channel instead, which ends the wait.
        using var wake = cancellationToken.Register(static s => ((Subscriber)s!).Close(), _subscriber);
        while (await _subscriber.Reader.WaitToReadAsync())
        {
            while (_subscriber.Reader.TryRead(out var delivered))
            {
                if (ReferenceEquals(delivered, DeliveredEvent.WakeUp))
                {
                    yield return delivered;
                    continue;
                }
                if (delivered.Id <= LastId)
                {
                    continue;
                }
                delivered = delivered.After(LastId);
                LastId = delivered.Id;
                yield return delivered;
                if (Ended(delivered))
                {
                    yield break;
                }
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
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
