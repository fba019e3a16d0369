using System.Collections.Concurrent;
using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// The projects this process follows in Redis, those its clients watch: the first reader reads the history and
/// warms the hub; later readers replay from the feed's copy; when an entry is appended, the <see cref="FeedPump"/>
/// delivers the new entries. A project whose last local subscriber left is let go.
/// </summary>
internal sealed class ProjectFeeds
{
    private readonly ConcurrentDictionary<string, ProjectFeed> _feeds = new();
    private readonly EventHub _hub;
    private readonly EventStreamReader _reader;
    private readonly LastEventIds _ids;
    private readonly RetentionTrimmer _retention;
    private readonly FeedPump _pump;

    public ProjectFeeds(EventHub hub, EventStreamReader reader, LastEventIds ids, RetentionTrimmer retention, ILogger logger)
    {
        _hub = hub;
        _reader = reader;
        _ids = ids;
        _retention = retention;
        _pump = new FeedPump(hub, reader, ids, retention, logger);
        _hub.ProjectReleased += OnProjectReleased;
    }

    /// <summary>Test hook: runs when a first reader has read a project's history, before live delivery is switched on.</summary>
    public Func<string, Task>? AfterHistoryRead { get; set; }

    public int Count => _feeds.Count;

    /// <summary>
    /// A project's events after <paramref name="afterId"/>, with <paramref name="buffered"/> (events not yet in
    /// Redis). For a project with local subscribers, from this process's copy, read from Redis once.
    /// </summary>
    public async Task<IReadOnlyList<StageEvent>> ReadAsync(string projectId, long afterId, IReadOnlyList<StageEvent> buffered, CancellationToken cancellationToken)
    {
        if (!_hub.HasSubscribers(projectId))
        {
            // A look at the log, not a subscriber: nothing to follow, so no feed is kept for it.
            return EventStreamReader.WithBuffered(await _reader.ReadAsync(projectId, afterId), buffered, afterId);
        }
        while (true)
        {
            var feed = _feeds.GetOrAdd(projectId, id => new ProjectFeed(id));
            await feed.Gate.WaitAsync(cancellationToken);
            try
            {
                if (feed.Released)
                {
                    // Its last subscriber left after we looked it up: a fresh feed takes its place.
                    continue;
                }
                if (feed.Initialized)
                {
                    // Served from this process's copy, not with an XRANGE and a decode per client (a reconnect
                    // storm would multiply them): the copy holds exactly what was delivered here, and our
                    // subscriber, registered before this read, receives everything after it live. The feed
                    // stays while that subscriber does.
                    if (_hub.NeedsWarm(projectId))
                    {
                        // The hub dropped the project and a new subscriber came before the feed was dropped too.
                        _hub.Warm(projectId, feed.Log);
                    }
                    return feed.Since(afterId);
                }
                // First reader in this process (or first since the project was dropped): the hub learns the
                // running texts from this very history, and live delivery continues right after it, so no
                // event falls between the two. An entry stored after the XRANGE is announced after it too: the
                // announcement finds this feed (added above) not yet initialized and signals it, and that pump
                // waits for this gate. So no catch-up read is needed here; one per first reader would also
                // race with anything counting this process's reads.
                var history = EventStreamReader.WithBuffered(await _reader.ReadAsync(projectId, 0), buffered, 0);
                if (AfterHistoryRead is { } hook)
                {
                    await hook(projectId);
                }
                _hub.Warm(projectId, history);
                feed.Log = [.. history];
                feed.Cursor = history.Count > 0 ? history[^1].Id : 0;
                _ids.Note(projectId, feed.Cursor);
                feed.Initialized = true;
                return afterId <= 0 ? history : [.. history.Where(e => e.Id > afterId)];
            }
            finally
            {
                feed.Gate.Release();
            }
        }
    }

    /// <summary>An entry with <paramref name="id"/> was appended to the project's stream (announced, or written here).</summary>
    public void Appended(string projectId, long id)
    {
        // Projects nobody here watches are ignored: their history is read when a client first asks. A feed
        // whose history is being read right now is signalled too: the pump waits for the read and then
        // catches up with anything the read missed.
        if (_feeds.TryGetValue(projectId, out var feed) && (!feed.Initialized || id > feed.Cursor))
        {
            _pump.Signal(feed);
        }
    }

    /// <summary>This process wrote an entry to the project's stream: no need to wait for the announcement to come back.</summary>
    public void Wrote(string projectId)
    {
        if (_feeds.TryGetValue(projectId, out var feed))
        {
            _pump.Signal(feed);
        }
    }

    /// <summary>Looks for new entries of every followed project (after a reconnect, when announcements may have been lost).</summary>
    public void PumpAll()
    {
        foreach (var feed in _feeds.Values)
        {
            _pump.Signal(feed);
        }
    }

    /// <summary>
    /// Delivers an event buffered during an outage to the local clients now, after this process's own last
    /// writes (<paramref name="recent"/>) that may not have come back from Redis yet. When it comes back under
    /// the same id, the cursor skips it. Not cancellable: once buffered, the event is published.
    /// </summary>
    public async Task DeliverBufferedAsync(PendingEvent pending, Outbox recent)
    {
        if (!_feeds.TryGetValue(pending.Event.ProjectId, out var feed))
        {
            return;
        }
        await feed.Gate.WaitAsync(CancellationToken.None);
        try
        {
            if (feed.Initialized && !feed.Released && pending.Event.Id > feed.Cursor)
            {
                foreach (var written in recent.Between(pending.Event.ProjectId, feed.Cursor, pending.Event.Id))
                {
                    if (written.Id > feed.Cursor)
                    {
                        _pump.Deliver(feed, written);
                    }
                }
                pending.DeliveredLocally = true;
                _pump.Deliver(feed, pending.Event);
            }
        }
        finally
        {
            feed.Gate.Release();
        }
    }

    /// <summary>
    /// A buffered event already shown here was stored under a later id: it is not shown again under that id,
    /// and the copy holds it as Redis does.
    /// </summary>
    public async Task StoredUnderNewIdAsync(StageEvent delivered, StageEvent stored, CancellationToken cancellationToken)
    {
        if (!_feeds.TryGetValue(stored.ProjectId, out var feed))
        {
            return;
        }
        await feed.Gate.WaitAsync(cancellationToken);
        try
        {
            feed.Skip.Add(stored.Id);
            if (feed.Log.FindIndex(e => e.Id == delivered.Id) is var index and >= 0)
            {
                feed.Log.RemoveAt(index);
                feed.Record(stored, _retention);
            }
        }
        finally
        {
            feed.Gate.Release();
        }
    }

    /// <summary>
    /// The hub dropped a project (its last local subscriber left): stop following it, so it costs no XRANGE per
    /// announcement. A subscriber that arrived meanwhile keeps the feed; the next one re-reads the history.
    /// </summary>
    private void OnProjectReleased(string projectId)
    {
        if (!_feeds.TryGetValue(projectId, out var feed))
        {
            return;
        }
        // Raised inside the hub's delivery at times: never wait for the gate there.
        _ = Task.Run(async () =>
        {
            await feed.Gate.WaitAsync();
            try
            {
                if (!feed.Released && !_hub.HasSubscribers(projectId))
                {
                    feed.Released = true;
                    _feeds.TryRemove(new KeyValuePair<string, ProjectFeed>(projectId, feed));
                }
            }
            finally
            {
                feed.Gate.Release();
            }
        });
    }
}
