using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace StageStream.Core.Events;

/// <summary>
/// This process's fan-out: the transport delivers each event here once, the hub builds the token's
/// full text once, and every local subscriber of the project gets the same <see cref="DeliveredEvent"/>
/// (so the same serialized bytes). Subscribers have bounded buffers: one that falls too far behind is
/// cut off and catches up by reconnecting with its last id.
/// </summary>
public sealed class EventHub(IOptions<EventRetentionOptions> options)
{
    private readonly ConcurrentDictionary<string, ProjectFanOut> _projects = new();
    private int _subscriberCount;

    /// <summary>Live subscriptions in this process.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscriberCount);

    /// <summary>
    /// Hands one event to the local subscribers of its project. Calls for one project must come in id
    /// order and must not overlap; transports guarantee that.
    /// </summary>
    public void Deliver(StageEvent stageEvent)
    {
        var project = _projects.GetOrAdd(stageEvent.ProjectId, _ => new ProjectFanOut());
        var subscribers = project.Subscribers;
        // The full text is a copy of the whole run's text: make it only when someone will read it.
        var selected = Array.Exists(subscribers, s => StreamRules.Selects(stageEvent, s.Stage));
        var fullText = project.Track(stageEvent, materialize: selected);
        if (!selected)
        {
            return;
        }
        var delivered = new DeliveredEvent(stageEvent, fullText);
        foreach (var subscriber in subscribers)
        {
            // Never waits: a full buffer means the reader is too far behind, and it is cut off
            // rather than allowed to hold up the publisher and every other reader.
            if (StreamRules.Selects(stageEvent, subscriber.Stage) && !subscriber.TryWrite(delivered))
            {
                Remove(subscriber);
            }
        }
    }

    /// <summary>
    /// Lets the hub learn the text of runs that started before this process saw them (a Redis
    /// transport joining late), without sending anything to subscribers.
    /// </summary>
    public void Warm(IEnumerable<StageEvent> history)
    {
        foreach (var stageEvent in history)
        {
            _projects.GetOrAdd(stageEvent.ProjectId, _ => new ProjectFanOut()).Track(stageEvent, materialize: false);
        }
    }

    public bool KnowsProject(string projectId) => _projects.ContainsKey(projectId);

    internal Subscriber Register(string projectId, string? stage)
    {
        var subscriber = new Subscriber(projectId, stage, options.Value.SubscriberBufferSize);
        _projects.GetOrAdd(projectId, _ => new ProjectFanOut()).Add(subscriber);
        Interlocked.Increment(ref _subscriberCount);
        return subscriber;
    }

    internal void Remove(Subscriber subscriber)
    {
        if (_projects.TryGetValue(subscriber.ProjectId, out var project) && project.Remove(subscriber))
        {
            Interlocked.Decrement(ref _subscriberCount);
        }
    }

    private sealed class ProjectFanOut
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, StringBuilder> _runTexts = [];
        private Subscriber[] _subscribers = [];

        public Subscriber[] Subscribers => Volatile.Read(ref _subscribers);

        /// <summary>Keeps each running text run's text; returns the full text after a token.</summary>
        public string? Track(StageEvent e, bool materialize)
        {
            lock (_gate)
            {
                if (e.Type == EventTypes.Token)
                {
                    if (!_runTexts.TryGetValue(e.RunId, out var text))
                    {
                        _runTexts[e.RunId] = text = new StringBuilder();
                    }
                    text.Append(e.Content);
                    return materialize ? text.ToString() : null;
                }
                if (StreamRules.Ends(e, e.Stage))
                {
                    _runTexts.Remove(e.RunId);
                }
                return null;
            }
        }

        public void Add(Subscriber subscriber)
        {
            lock (_gate)
            {
                _subscribers = [.. _subscribers, subscriber];
            }
        }

        public bool Remove(Subscriber subscriber)
        {
            lock (_gate)
            {
                var index = Array.IndexOf(_subscribers, subscriber);
                if (index < 0)
                {
                    return false;
                }
                _subscribers = [.. _subscribers[..index], .. _subscribers[(index + 1)..]];
                return true;
            }
        }
    }
}

/// <summary>One live reader of one project's events, with a bounded buffer.</summary>
internal sealed class Subscriber(string projectId, string? stage, int capacity)
{
    // FullMode only matters to WriteAsync, which is never used: the hub calls TryWrite and treats
    // a full buffer as the signal to cut the reader off.
    private readonly Channel<DeliveredEvent> _channel = Channel.CreateBounded<DeliveredEvent>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });

    private readonly CancellationTokenSource _cutOff = new();

    public string ProjectId { get; } = projectId;
    public string? Stage { get; } = stage;
    public ChannelReader<DeliveredEvent> Reader => _channel.Reader;

    /// <summary>Cancelled when the hub cuts this reader off for falling behind.</summary>
    public CancellationToken CutOff => _cutOff.Token;

    /// <summary>False when the buffer is full: the subscriber is then cut off.</summary>
    public bool TryWrite(DeliveredEvent delivered)
    {
        if (_channel.Writer.TryWrite(delivered))
        {
            return true;
        }
        if (_channel.Writer.TryComplete(new SubscriberLaggedException(capacity)))
        {
            // Callbacks run on the thread pool, never inside the hub's delivery (which holds the
            // transport's ordering lock): a reader stuck writing to a dead socket is woken elsewhere.
            _ = _cutOff.CancelAsync();
        }
        return false;
    }

    public void Close() => _channel.Writer.TryComplete();
}

/// <summary>The subscriber fell more than its buffer behind; it should reconnect with its last event id.</summary>
public sealed class SubscriberLaggedException(int capacity)
    : Exception($"The subscriber fell more than {capacity} events behind and was disconnected; reconnect with Last-Event-ID to catch up.");
