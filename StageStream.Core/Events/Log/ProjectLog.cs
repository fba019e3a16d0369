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

/// <summary>
/// One watched project's retained events, trimmed by <see cref="RetentionRules"/> as it grows, with an index
/// of where each run starts, so a new subscriber reads only the suffix its stream needs.
/// </summary>
internal sealed class EventCache
{
    private readonly Dictionary<string, long> _runStarts = [];
    private readonly Dictionary<string, string> _latestRunOfStage = [];
    private string? _latestRootRun;
    private int _nextTrimAt;

    public EventCache(List<StageEvent> events)
    {
        Events = events;
        _nextTrimAt = Math.Max(1024, events.Count * 2);
        Reindex();
    }

    public List<StageEvent> Events { get; }

    public void Add(StageEvent e, Func<double> cutoff)
    {
        Events.Add(e);
        Index(e);
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
        Reindex();
    }

    /// <summary>A copy of the events with an id greater than <paramref name="afterId"/>.</summary>
    public List<StageEvent> After(long afterId)
    {
        var start = IndexAfter(afterId);
        return Events.GetRange(start, Events.Count - start);
    }

    /// <summary>
    /// The suffix a new subscriber of the stream needs (see <see cref="IEventTransport.ReadForStreamAsync"/>): from
    /// the start of the stream's latest run, or of a run that the events after <paramref name="afterId"/> continue,
    /// and always the last event (its id is where a stream that has nothing to replay starts).
    /// </summary>
    public List<StageEvent> ForStream(string? stage, long? afterId)
    {
        if (Events.Count == 0)
        {
            return [];
        }
        var from = Events[^1].Id;
        var latestRun = stage is null ? _latestRootRun : _latestRunOfStage.GetValueOrDefault(stage);
        if (latestRun is not null && _runStarts.TryGetValue(latestRun, out var latestStart))
        {
            from = Math.Min(from, latestStart);
        }
        if (afterId is { } after)
        {
            var resumeAt = IndexAfter(after);
            for (var i = resumeAt; i < Events.Count; i++)
            {
                // A resume in the middle of a run: its tokens continue the text sent before, which is read from its start.
                if (Events[i].Type == EventTypes.Token && _runStarts.TryGetValue(Events[i].RunId, out var runStart) && runStart < from)
                {
                    from = runStart;
                }
            }
            if (resumeAt < Events.Count)
            {
                from = Math.Min(from, Events[resumeAt].Id);
            }
        }
        return After(from - 1);
    }

    private int IndexAfter(long afterId)
    {
        // Ids increase: the first index with a greater id, by binary search.
        int low = 0, high = Events.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (Events[mid].Id <= afterId)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }
        return low;
    }

    private void Reindex()
    {
        _runStarts.Clear();
        _latestRunOfStage.Clear();
        _latestRootRun = null;
        foreach (var e in Events)
        {
            Index(e);
        }
    }

    private void Index(StageEvent e)
    {
        // Keyed by run and by pipeline run: the start of a stage stream's run and of an all-stages stream's run.
        _runStarts.TryAdd(e.RunId, e.Id);
        if (e.PipelineRunId is not null)
        {
            _runStarts.TryAdd(e.PipelineRunId, e.Id);
        }
        _latestRunOfStage[e.Stage] = e.RunId;
        _latestRootRun = e.RootRunId;
    }
}
