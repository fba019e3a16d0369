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
public sealed class EventHub(IOptions<EventRetentionOptions> options, TimeProvider clock)
{
    // Only projects with at least one local subscriber have state here: the rest cost nothing.
    private readonly ConcurrentDictionary<string, ProjectFanOut> _projects = new();
    // Registering and removing subscribers (rare next to deliveries) are serialized, so a project's
    // state is never dropped while a new subscriber is being added to it.
    private readonly Lock _registry = new();
    private int _subscriberCount;

    /// <summary>Live subscriptions in this process.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscriberCount);

    /// <summary>Projects with live subscriptions in this process, i.e. with fan-out state held in memory.</summary>
    public int ProjectCount => _projects.Count;

    /// <summary>
    /// Raised (outside any lock) when the last local subscriber of a project leaves and its state is dropped,
    /// so a transport can stop following the project. A new subscriber may already have arrived: check
    /// <see cref="HasSubscribers"/> under the transport's own ordering lock before dropping anything.
    /// </summary>
    public event Action<string>? ProjectReleased;

    /// <summary>
    /// Hands one event to the local subscribers of its project. Calls for one project must come in id
    /// order and must not overlap; transports guarantee that. A project nobody here watches costs one lookup.
    /// </summary>
    public void Deliver(StageEvent stageEvent)
    {
        if (!_projects.TryGetValue(stageEvent.ProjectId, out var project) || !project.Warm)
        {
            // Before the project's history has been given (see Warm), every subscriber is still to read
            // that history, which holds this event: nothing is lost by not delivering it live.
            return;
        }
        var subscribers = project.Subscribers;
        // The full text is a copy of the whole run's text: make it only when someone will read it.
        var selected = Array.Exists(subscribers, s => StreamRules.Selects(stageEvent, s.Stage));
        var (fullText, tokenIndex) = project.Track(stageEvent, materialize: selected);
        if (!selected)
        {
            return;
        }
        project.Pacer.Deliver(new DeliveredEvent(stageEvent, fullText) { TokenIndex = tokenIndex }, subscribers.Length);
    }

    /// <summary>Hands one event (or a paced run's merged tokens) to every subscriber of the project that selects it.</summary>
    private void FanOut(ProjectFanOut project, DeliveredEvent delivered)
    {
        foreach (var subscriber in project.Subscribers)
        {
            // Never waits: a full buffer means the reader is too far behind, and it is cut off
            // rather than allowed to hold up the publisher and every other reader.
            if (StreamRules.Selects(delivered.Event, subscriber.Stage) && !subscriber.TryWrite(delivered))
            {
                Remove(subscriber);
            }
        }
    }

    /// <summary>Tokens of the project held for its next beat (0 unless the project's run is paced).</summary>
    public int HeldTokenCount(string projectId) => _projects.TryGetValue(projectId, out var project) ? project.Pacer.HeldCount : 0;

    /// <summary>
    /// Gives a newly watched project its history, so the hub knows the text of runs already under way,
    /// without sending anything to subscribers. Does nothing if the project is unwatched or already has it.
    /// Transports call it under the same ordering lock as <see cref="Deliver"/>, with exactly the events
    /// delivered so far: live delivery to the project starts right after them.
    /// </summary>
    public void Warm(string projectId, IEnumerable<StageEvent> history)
    {
        if (_projects.TryGetValue(projectId, out var project))
        {
            project.WarmWith(history);
        }
    }

    /// <summary>True when the project has local subscribers but has not been given its history yet.</summary>
    public bool NeedsWarm(string projectId) => _projects.TryGetValue(projectId, out var project) && !project.Warm;

    /// <summary>True while the project has local subscribers.</summary>
    public bool HasSubscribers(string projectId) => _projects.ContainsKey(projectId);

    internal Subscriber Register(string projectId, string? stage)
    {
        var subscriber = new Subscriber(projectId, stage, options.Value.SubscriberBufferSize);
        lock (_registry)
        {
            _projects.GetOrAdd(projectId, _ => new ProjectFanOut(
                project => new TokenPacer(options.Value, clock, delivered => FanOut(project, delivered)))).Add(subscriber);
        }
        Interlocked.Increment(ref _subscriberCount);
        return subscriber;
    }

    internal void Remove(Subscriber subscriber)
    {
        bool removed;
        ProjectFanOut? released = null;
        lock (_registry)
        {
            removed = _projects.TryGetValue(subscriber.ProjectId, out var project) && project.Remove(subscriber);
            // The run texts go with it: a later subscriber starts again from the project's history.
            if (removed && project!.IsEmpty && _projects.TryRemove(new KeyValuePair<string, ProjectFanOut>(subscriber.ProjectId, project)))
            {
                released = project;
            }
        }
        if (removed)
        {
            Interlocked.Decrement(ref _subscriberCount);
        }
        if (released is not null)
        {
            // Outside the registry: a delivery holds its pacer while it removes a reader it cut off (which takes the registry).
            released.Pacer.Dispose();
            ProjectReleased?.Invoke(subscriber.ProjectId);
        }
    }

    private sealed class ProjectFanOut
    {
        public ProjectFanOut(Func<ProjectFanOut, TokenPacer> pacer)
        {
            Pacer = pacer(this);
        }

        /// <summary>The way out to the subscribers: every delivery goes through it, in order.</summary>
        public TokenPacer Pacer { get; }

        private readonly Lock _gate = new();
        private readonly Dictionary<string, RunText> _runTexts = [];
        private Subscriber[] _subscribers = [];
        private volatile bool _warm;

        public Subscriber[] Subscribers => Volatile.Read(ref _subscribers);

        public bool IsEmpty => Subscribers.Length == 0;

        /// <summary>Set once the history has been tracked: from then on, deliveries continue it.</summary>
        public bool Warm => _warm;

        public void WarmWith(IEnumerable<StageEvent> history)
        {
            lock (_gate)
            {
                if (_warm)
                {
                    return;
                }
                foreach (var e in history)
                {
                    TrackLocked(e, materialize: false);
                }
                _warm = true;
            }
        }

        /// <summary>Keeps each running text run's text; returns the full text after a token, and the token's index in its run.</summary>
        public (string? FullText, int TokenIndex) Track(StageEvent e, bool materialize)
        {
            lock (_gate)
            {
                return TrackLocked(e, materialize);
            }
        }

        private (string?, int) TrackLocked(StageEvent e, bool materialize)
        {
            if (e.Type == EventTypes.Token)
            {
                if (!_runTexts.TryGetValue(e.RunId, out var run))
                {
                    _runTexts[e.RunId] = run = new RunText();
                }
                run.Text.Append(e.Content);
                return (materialize ? run.Text.ToString() : null, run.Tokens++);
            }
            if (StreamRules.EndsRun(e))
            {
                _runTexts.Remove(e.RunId);
            }
            return (null, -1);
        }

        private sealed class RunText
        {
            public StringBuilder Text { get; } = new();
            public int Tokens { get; set; }
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
    // Orders cutting off against closing, so the source is never cancelled after it is disposed.
    private readonly Lock _gate = new();
    private bool _closed;

    public string ProjectId { get; } = projectId;
    public string? Stage { get; } = stage;
    public ChannelReader<DeliveredEvent> Reader => _channel.Reader;

    /// <summary>Cancelled when the hub cuts this reader off for falling behind. Not to be used after <see cref="Close"/>.</summary>
    public CancellationToken CutOff => _cutOff.Token;

    /// <summary>False when the buffer is full (the subscriber is then cut off) or the subscriber is closed.</summary>
    public bool TryWrite(DeliveredEvent delivered)
    {
        if (_channel.Writer.TryWrite(delivered))
        {
            return true;
        }
        lock (_gate)
        {
            if (!_closed && _channel.Writer.TryComplete(new SubscriberLaggedException(capacity)))
            {
                // Callbacks run on the thread pool, never inside the hub's delivery (which holds the
                // transport's ordering lock): a reader stuck writing to a dead socket is woken elsewhere.
                _ = _cutOff.CancelAsync();
            }
        }
        return false;
    }

    /// <summary>Puts the wake-up marker in the buffer; a full or closed buffer is left alone (its reader is busy or gone).</summary>
    public bool TryWake() => _channel.Writer.TryWrite(DeliveredEvent.WakeUp);

    /// <summary>Ends the subscription: the buffer is completed and the cut-off source disposed.</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            _channel.Writer.TryComplete();
        }
        // A delivery may still hold this subscriber in its snapshot: its TryWrite now fails on the
        // completed channel and, seeing _closed, leaves the disposed source alone.
        _cutOff.Dispose();
    }
}

/// <summary>The subscriber fell more than its buffer behind; it should reconnect with its last event id.</summary>
public sealed class SubscriberLaggedException(int capacity)
    : Exception($"The subscriber fell more than {capacity} events behind and was disconnected; reconnect with Last-Event-ID to catch up.");
