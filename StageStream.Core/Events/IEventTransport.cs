namespace StageStream.Core.Events;

/// <summary>
/// Where a project's events live and how they reach every server process: the app's database by default,
/// Redis when configured. Nothing above this interface knows which.
/// </summary>
public interface IEventTransport
{
    /// <summary>
    /// Appends the event, assigning an id greater than every earlier id of its project, and returns it.
    /// The transport then hands the event to <see cref="EventHub.Deliver"/> of every process, in id order per project.
    /// </summary>
    ValueTask<StageEvent> AppendAsync(StageEvent stageEvent, CancellationToken cancellationToken);

    /// <summary>
    /// The retained events of a project with an id greater than <paramref name="afterId"/>, in order.
    /// If the project has local subscribers whose state <see cref="EventHub.NeedsWarm"/>, the transport first
    /// gives the hub the project's history (<see cref="EventHub.Warm"/>), ordered with its deliveries.
    /// </summary>
    /// <exception cref="EventLogUnavailableException">The store cannot be read now (e.g. Redis is down); try again shortly.</exception>
    ValueTask<IReadOnlyList<StageEvent>> ReadAsync(string projectId, long afterId, CancellationToken cancellationToken);

    /// <summary>
    /// What a new subscriber of one stream (<paramref name="stage"/>, or all stages when null) needs of the retained
    /// history: at least the stream's latest run from its start, the events after <paramref name="afterId"/>, and the
    /// earlier tokens of the runs those continue. A transport that indexes run starts returns just that suffix; by
    /// default, the whole history. Warms the hub as <see cref="ReadAsync"/> does.
    /// </summary>
    ValueTask<IReadOnlyList<StageEvent>> ReadForStreamAsync(string projectId, string? stage, long? afterId, CancellationToken cancellationToken) =>
        ReadAsync(projectId, 0, cancellationToken);
}

public sealed class EventRetentionOptions
{
    public const string Section = "Events";

    /// <summary>Everything newer than this is kept; older events are kept only while they belong to the latest run of their stage or pipeline.</summary>
    public int RetentionSeconds { get; set; } = 3600;

    /// <summary>How often the durable event log (the default transport) deletes what retention no longer keeps.</summary>
    public int PruneIntervalSeconds { get; set; } = 60;

    /// <summary>Events a subscriber may have waiting before it is cut off (it then catches up with Last-Event-ID).</summary>
    public int SubscriberBufferSize { get; set; } = 2048;

    /// <summary>
    /// A run whose watchers in this process times its tokens per second reach this many deliveries per second is
    /// paced: its tokens go out merged, one message per <see cref="PaceMilliseconds"/>, since the machine could not write
    /// every token to every watcher in time. 0 never paces. The default suits 2 cores (see docs/benchmarks.md).
    /// </summary>
    public int PaceAboveDeliveriesPerSecond { get; set; } = 100_000;

    /// <summary>How long a paced run's first waiting token is held before the tokens go out as one message.</summary>
    public int PaceMilliseconds { get; set; } = 50;
}

/// <summary>Id scheme shared by transports: milliseconds since the epoch times 1000 plus a counter, so ids keep increasing across restarts and stay exact in JavaScript numbers.</summary>
public static class EventIds
{
    public static long Next(long previous, DateTimeOffset now) => Math.Max(previous + 1, now.ToUnixTimeMilliseconds() * 1000);
}
