using StageStream.Core.Events;
using StageStream.Core.Projects;
using StageStream.Web.Streaming.Redis;
using static StageStream.Tests.Redis.RedisTestSupport;

namespace StageStream.Tests.Redis;

/// <summary>The persistence docs/multi-server.md asks of Redis: with an append-only file, a Redis crash loses no event.</summary>
public sealed class RedisPersistenceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RedisKilledAndRestartedWithItsAppendOnlyFileStillReplaysEveryEvent()
    {
        await using var bed = await RedisTestBed.StartAsync(appendOnly: true);
        var tokens = Tokens(200);
        string projectId;
        List<StageEvent> published;
        // The instance that published stops before Redis goes down, so it cannot write its recent events back
        // after the restart: whatever the replay holds then comes from Redis's own file.
        await using (var a = await bed.StartInstanceAsync())
        {
            projectId = await CreateProjectAsync(a.Client);
            published = await PublishRunAsync(a.Service<IEventPublisher>(), projectId, tokens);
        }

        await bed.Redis.StopAsync();
        await bed.Redis.StartAgainAsync();

        await using var b = await bed.StartInstanceAsync();
        var stored = await b.Service<RedisEventTransport>().ReadAsync(projectId, 0, CancellationToken.None);
        Assert.Equal(published.Select(e => e.Id), stored.Select(e => e.Id));
        // And a client replaying the run gets all of it.
        await using var replay = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        var replayed = await ReadAsync(replay, Timeout);
        Assert.Equal(published.Select(e => e.Id), replayed.Select(e => e.Id));
        Assert.Equal(string.Concat(tokens), replayed.Last(e => e.Type == EventTypes.Token).FullText);
        Assert.Equal("done", replay.EndReason);
    }
}
