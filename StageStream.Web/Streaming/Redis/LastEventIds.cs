using System.Collections.Concurrent;
using StageStream.Core.Events;

namespace StageStream.Web.Streaming.Redis;

/// <summary>
/// The newest event id this process knows of per project (its own appends and what it read), from which the
/// next append's id is proposed (<see cref="EventIds"/> scheme). Redis has the last word: see <see cref="StreamAppender"/>.
/// </summary>
internal sealed class LastEventIds(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, long> _last = new();

    public long Next(string projectId)
    {
        var now = clock.GetUtcNow();
        return _last.AddOrUpdate(projectId, _ => EventIds.Next(0, now), (_, previous) => EventIds.Next(previous, now));
    }

    public void Note(string projectId, long id) => _last.AddOrUpdate(projectId, id, (_, previous) => Math.Max(previous, id));
}
