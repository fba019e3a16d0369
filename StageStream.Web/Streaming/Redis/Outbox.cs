using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>Events in arrival order: those waiting for Redis, or (a second instance) those recently written.</summary>
internal sealed class Outbox
{
    private readonly Lock _gate = new();
    private readonly LinkedList<PendingEvent> _items = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    public bool IsEmpty => Count == 0;

    public DateTimeOffset? OldestEnqueuedAt
    {
        get
        {
            lock (_gate)
            {
                return _items.First?.Value.EnqueuedAt;
            }
        }
    }

    /// <summary>Adds the event; returns how many old ones were dropped to respect the window and the cap.</summary>
    public int Enqueue(PendingEvent pending, DateTimeOffset expiredBefore, int maxEvents)
    {
        lock (_gate)
        {
            var dropped = 0;
            while (_items.First is { } first && (first.Value.EnqueuedAt < expiredBefore || _items.Count >= maxEvents))
            {
                _items.RemoveFirst();
                dropped++;
            }
            _items.AddLast(pending);
            return dropped;
        }
    }

    /// <summary>Drops the events enqueued before <paramref name="expiredBefore"/>; returns how many.</summary>
    public int DropBefore(DateTimeOffset expiredBefore)
    {
        lock (_gate)
        {
            var dropped = 0;
            while (_items.First is { } first && first.Value.EnqueuedAt < expiredBefore)
            {
                _items.RemoveFirst();
                dropped++;
            }
            return dropped;
        }
    }

    public bool TryPeek(out PendingEvent pending)
    {
        lock (_gate)
        {
            pending = _items.First?.Value!;
            return pending is not null;
        }
    }

    public bool TryDequeue(PendingEvent expected)
    {
        lock (_gate)
        {
            if (_items.First?.Value != expected)
            {
                return false;
            }
            _items.RemoveFirst();
            return true;
        }
    }

    public List<PendingEvent> All(DateTimeOffset notBefore)
    {
        lock (_gate)
        {
            while (_items.First is { } first && first.Value.EnqueuedAt < notBefore)
            {
                _items.RemoveFirst();
            }
            return [.. _items];
        }
    }

    /// <summary>The project's events with ids strictly between the two, in id order, looking back from the newest.</summary>
    public List<StageEvent> Between(string projectId, long afterId, long beforeId)
    {
        var found = new List<StageEvent>();
        lock (_gate)
        {
            for (var node = _items.Last; node is not null; node = node.Previous)
            {
                var e = node.Value.Event;
                if (e.ProjectId != projectId)
                {
                    continue;
                }
                if (e.Id <= afterId)
                {
                    break;
                }
                if (e.Id < beforeId)
                {
                    found.Add(e);
                }
            }
        }
        found.Reverse();
        return found;
    }

    public IReadOnlyList<StageEvent> Snapshot(string projectId)
    {
        lock (_gate)
        {
            return _items.Count == 0 ? [] : [.. _items.Where(p => p.Event.ProjectId == projectId).Select(p => p.Event)];
        }
    }
}
