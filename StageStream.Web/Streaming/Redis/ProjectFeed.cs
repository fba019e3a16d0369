using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// This process's reading position in one project's stream, and its copy of the events delivered here, from
/// which later subscribers replay without reading Redis. Followed while the project has local subscribers.
/// </summary>
internal sealed class ProjectFeed(string projectId)
{
    public string ProjectId { get; } = projectId;

    /// <summary>Held while reading the stream or delivering to the hub, so the hub sees the project's events one at a time, in order.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public long CursorValue;

    /// <summary>1 while a pump is asked for and has not yet started reading (see <see cref="ProjectFeeds"/>).</summary>
    public int Pending;

    /// <summary>Set once the history has been read and given to the hub; before that, the pump does nothing.</summary>
    public volatile bool Initialized;

    /// <summary>Set (under <see cref="Gate"/>) when the feed is dropped because no local subscriber is left.</summary>
    public volatile bool Released;

    /// <summary>The last id handed to the hub (written under <see cref="Gate"/>).</summary>
    public long Cursor
    {
        get => Interlocked.Read(ref CursorValue);
        set => Interlocked.Exchange(ref CursorValue, value);
    }

    /// <summary>
    /// The project's retained events as delivered here, in id order (under <see cref="Gate"/>). Trimmed by the
    /// retention rules, dropped with the feed.
    /// </summary>
    public List<StageEvent> Log { get; set; } = [];

    private int NextTrimAt { get; set; } = RetentionTrimmer.FirstTrimAt;

    /// <summary>Ids of buffered events that Redis stored under a new id after they were delivered here.</summary>
    public HashSet<long> Skip { get; } = [];

    /// <summary>The copy's events after <paramref name="afterId"/> (under the gate).</summary>
    public List<StageEvent> Since(long afterId)
    {
        var start = FirstAfter(afterId);
        return Log.GetRange(start, Log.Count - start);
    }

    /// <summary>Adds an event delivered here to the copy, keeping id order, and trims the copy like the stream (under the gate).</summary>
    public void Record(StageEvent e, RetentionTrimmer retention)
    {
        if (Log.Count == 0 || Log[^1].Id < e.Id)
        {
            Log.Add(e);
        }
        else
        {
            Log.Insert(FirstAfter(e.Id), e);
        }
        if (Log.Count >= NextTrimAt)
        {
            var keep = retention.Keep(Log);
            Log.RemoveAll(kept => !keep.Contains(kept.Id));
            NextTrimAt = Math.Max(RetentionTrimmer.FirstTrimAt, Log.Count * 2);
        }
    }

    /// <summary>Index of the first event in the copy with an id greater than <paramref name="afterId"/>.</summary>
    private int FirstAfter(long afterId)
    {
        int low = 0, high = Log.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (Log[middle].Id <= afterId)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }
}
