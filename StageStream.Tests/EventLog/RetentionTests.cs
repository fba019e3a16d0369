using Microsoft.EntityFrameworkCore;
using StageStream.Core.Events;
using StageStream.Core.Events.Log;
using StageStream.Tests.Infrastructure;
using StageStream.Tests.Streaming;

namespace StageStream.Tests.EventLog;

/// <summary>Retention prunes the database as it trims memory: old runs go, recent ones and each stage's and the pipeline's latest run stay.</summary>
public sealed class RetentionTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task APruningPassDeletesOldRunsAndKeepsRecentAndLatestRuns()
    {
        var clock = new MovableClock(DateTimeOffset.UtcNow.AddHours(-3));
        var settings = new Dictionary<string, string?> { ["Events:RetentionSeconds"] = "3600" };
        await using (var log = EventLogHost.Start(_folder.Path, settings, clock))
        {
            var script = new EventScript(log.Publisher, "p");
            await script.TextRunAsync("rewrite", "old-rewrite", ["a"]);
            await script.TextRunAsync("rewrite", "superseded-rewrite", ["b"]);
            await script.TextRunAsync("storyboard", "only-storyboard", ["c"]);
            clock.Now = DateTimeOffset.UtcNow;
            await script.TextRunAsync("rewrite", "new-rewrite", ["d"]);

            var deleted = await log.Service<EventLogPruner>().PruneAsync(log.Transport, CancellationToken.None);

            Assert.Equal(10, deleted);
            var runs = await log.WithDbAsync(db => db.Events.Select(e => e.RunId).Distinct().ToListAsync());
            Assert.Equal(["new-rewrite", "only-storyboard"], runs.Order());
        }

        // What a restarted server replays is what is left.
        await using var restarted = EventLogHost.Start(_folder.Path, settings);
        var replay = await restarted.Transport.ReadAsync("p", 0, CancellationToken.None);
        Assert.Equal(["only-storyboard", "new-rewrite"], replay.Select(e => e.RunId).Distinct());
    }
}

/// <summary>A clock a test sets.</summary>
public sealed class MovableClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
