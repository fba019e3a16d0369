namespace StageStream.Core.Events.Log;

/// <summary>
/// What this process holds for one project of the durable log: the last id given out, the last id
/// delivered, and, while the project is watched here, its retained delivered events. Guarded by <see cref="Gate"/>.
/// </summary>
internal sealed class ProjectLog(string projectId, double createdAt)
{
    private Task? _ready;

    public string ProjectId { get; } = projectId;

    /// <summary>Orders id assignment with queueing, and delivery with reads of <see cref="Cache"/>.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The last id given to an event (stored, queued or failed).</summary>
    public long LastId { get; set; }

    /// <summary>The last id committed and handed to the hub: every stored event up to it has been delivered.</summary>
    public long Delivered { get; set; }

    /// <summary>Appends queued and not yet committed or failed.</summary>
    public int InFlight { get; set; }

    /// <summary>Epoch seconds of the last append or read, for releasing idle projects.</summary>
    public double LastUsed { get; set; } = createdAt;

    /// <summary>Epoch seconds of the last event delivered by this process (0 if none), for retention.</summary>
    public double LastAppended { get; set; }

    /// <summary>Dropped from the transport's table: callers holding it must look the project up again.</summary>
    public bool Retired { get; set; }

    /// <summary>The retained events delivered so far, in id order, while the project is watched here; else null.</summary>
    public EventCache? Cache { get; set; }

    /// <summary>
    /// Completes once the largest stored id is known (loaded once per log); a failed load is tried again by the next caller.
    /// </summary>
    public Task ReadyAsync(Func<string, Task<long>> loadLastId)
    {
        lock (Gate)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled)
            {
                _ready = LoadAsync(loadLastId);
            }
            return _ready;
        }
    }

    private async Task LoadAsync(Func<string, Task<long>> loadLastId)
    {
        var last = await loadLastId(ProjectId);
        lock (Gate)
        {
            LastId = Math.Max(LastId, last);
            Delivered = Math.Max(Delivered, last);
        }
    }

    public bool IsReady => _ready is { IsCompletedSuccessfully: true };

    /// <summary>A queued append was not stored.</summary>
    public void Abandoned()
    {
        lock (Gate)
        {
            InFlight--;
        }
    }
}

/// <summary>One watched project's retained events, trimmed by <see cref="RetentionRules"/> as it grows.</summary>
internal sealed class EventCache(List<StageEvent> events)
{
    private int _nextTrimAt = Math.Max(1024, events.Count * 2);

    public List<StageEvent> Events { get; } = events;

    public void Add(StageEvent e, Func<double> cutoff)
    {
        Events.Add(e);
        if (Events.Count >= _nextTrimAt)
        {
            Trim(cutoff());
        }
    }

    public void Trim(double cutoffEpochSeconds)
    {
        var keep = RetentionRules.Keep(Events, cutoffEpochSeconds);
        Events.RemoveAll(e => !keep.Contains(e.Id));
        _nextTrimAt = Math.Max(1024, Events.Count * 2);
    }

    /// <summary>A copy of the events with an id greater than <paramref name="afterId"/>.</summary>
    public List<StageEvent> After(long afterId)
    {
        var start = Events.FindIndex(e => e.Id > afterId);
        return start < 0 ? [] : Events.GetRange(start, Events.Count - start);
    }
}
