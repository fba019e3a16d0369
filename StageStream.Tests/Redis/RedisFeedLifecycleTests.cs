using System.Text.RegularExpressions;
using StageStream.Core.Events;
using StageStream.Core.Projects;
using StageStream.Web.Streaming.Redis;
using static StageStream.Tests.Redis.RedisTestSupport;

namespace StageStream.Tests.Redis;

/// <summary>
/// How a process follows a project's stream in Redis: starting (review item 5), appending under concurrency
/// (item 6), and letting go when nobody watches any more (item 9).
/// </summary>
public sealed partial class RedisFeedLifecycleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EventAppendedElsewhereWhileTheFirstReaderReadsTheHistoryIsDeliveredAtOnce()
    {
        await using var bed = await RedisTestBed.StartAsync();
        await using var a = await bed.StartInstanceAsync();
        await using var b = await bed.StartInstanceAsync();
        var projectId = await CreateProjectAsync(a.Client);
        var publisher = a.Service<IEventPublisher>();
        StageEvent New(string type) => new() { Type = type, ProjectId = projectId, Stage = StageNames.Rewrite, RunId = "run-1" };
        await publisher.PublishAsync(New(EventTypes.StageUpdate) with { Status = "processing" });
        await publisher.PublishAsync(New(EventTypes.Token) with { Content = "Hello " });

        // B's first reader has read the history; before B switches live delivery on, A ends the run and
        // B receives the announcement. Nothing else will be announced: the client must get `done` from this one.
        var transportB = b.Service<RedisEventTransport>();
        // For 30 s after connecting, B re-reads watched projects every second, which would hide a lost
        // announcement behind a delay; the fault shows in a process that has been up for a while.
        transportB.EndRecoveryPolling();
        StageEvent? done = null;
        transportB.AfterHistoryRead = async _ =>
        {
            transportB.AfterHistoryRead = null;
            var before = transportB.AnnouncementsReceived;
            done = await publisher.PublishAsync(New(EventTypes.Done) with { FullText = "Hello " });
            await WaitUntilAsync(() => Task.FromResult(transportB.AnnouncementsReceived > before), Timeout, "B hears the announcement");
        };
        await using var onB = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        Assert.NotNull(done);

        var received = await ReadAsync(onB, TimeSpan.FromSeconds(10));
        Assert.Equal([EventTypes.StageUpdate, EventTypes.Token, EventTypes.Done], received.Select(e => e.Type));
        Assert.Equal(done!.Id, received[^1].Id);
        Assert.Equal("done", onB.EndReason);
    }

    [Fact]
    public async Task ConcurrentPublishersOfOneProjectKeepIdOrderWhenRedisDropsMidWrite()
    {
        await using var bed = await RedisTestBed.StartAsync();
        await using var app = await bed.StartInstanceAsync();
        var transport = app.Service<RedisEventTransport>();
        var projectId = await CreateProjectAsync(app.Client);
        await using var subscription = await app.Service<IEventSubscriptions>().SubscribeAsync(projectId, null, null, CancellationToken.None);
        var publisher = app.Service<IEventPublisher>();
        StageEvent New(string content) => RewriteToken(projectId, content);

        // The runner's token has its id and is about to be written when Redis goes away...
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        transport.BeforeAppend = async e =>
        {
            if (e.Content == "first ")
            {
                held.SetResult();
                await release.Task;
            }
        };
        var first = Task.Run(async () => await publisher.PublishAsync(New("first ")));
        await held.Task.WaitAsync(Timeout);
        await bed.Redis.StopAsync();
        await WaitUntilAsync(() => Task.FromResult(!transport.IsConnected), Timeout, "the app notices Redis is gone");
        // ...and another publisher of the same project (the cancel endpoint, say) publishes meanwhile.
        var second = Task.Run(async () => await publisher.PublishAsync(New("second")));
        await Task.Delay(300);
        release.SetResult();
        var published = new[] { await first.WaitAsync(Timeout), await second.WaitAsync(Timeout) };

        await bed.Redis.StartAgainAsync();
        await WaitUntilAsync(() => Task.FromResult(transport.BufferedCount == 0), Timeout, "the outbox is flushed");
        var received = await ReadAsync(subscription, Timeout, e => e.Event.Content == "second");

        // In publishing order, each under the id its publisher was given, the text in order.
        Assert.Equal(published.Select(e => (e.Id, e.Content)), received.Select(e => (e.Id, e.Event.Content)));
        Assert.Equal("first second", received[^1].FullText);
        var stored = await bed.Redis.CommandAsync("XRANGE", transport.Keys.Stream(projectId), "-", "+");
        Assert.Equal(published.Select(e => $"{e.Id}-0"), EntryIds().Matches(stored).Select(m => m.Value));
    }

    [Fact]
    public async Task ProjectNobodyWatchesAnyMoreIsNoLongerReadAndANewClientStartsAfresh()
    {
        await using var bed = await RedisTestBed.StartAsync();
        await using var a = await bed.StartInstanceAsync();
        await using var b = await bed.StartInstanceAsync();
        var projectId = await CreateProjectAsync(a.Client);
        var publisher = a.Service<IEventPublisher>();
        StageEvent Token(string content) => RewriteToken(projectId, content);
        var hubB = b.Service<EventHub>();
        var transportB = b.Service<RedisEventTransport>();

        await using (var first = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, null, null, CancellationToken.None))
        {
            var one = await publisher.PublishAsync(Token("one "));
            Assert.Equal("one ", (await ReadAsync(first, Timeout, e => e.Id == one.Id))[^1].FullText);
            Assert.Equal(1, hubB.ProjectCount);
            Assert.Equal(1, transportB.WatchedProjectCount);
        }
        Assert.Equal(0, hubB.SubscriberCount);
        Assert.Equal(0, hubB.ProjectCount);
        await WaitUntilAsync(() => Task.FromResult(transportB.WatchedProjectCount == 0), Timeout, "B stops following the project");

        // Events go on (the run continues on A): B, with nobody watching, reads none of them.
        var xrangeBefore = await XRangeCallsAsync(bed.Redis);
        var announcementsBefore = transportB.AnnouncementsReceived;
        for (var i = 0; i < 20; i++)
        {
            await publisher.PublishAsync(Token($"t{i} "));
        }
        await WaitUntilAsync(() => Task.FromResult(transportB.AnnouncementsReceived >= announcementsBefore + 20), Timeout, "B hears the announcements");
        await Task.Delay(300);
        Assert.Equal(xrangeBefore, await XRangeCallsAsync(bed.Redis));

        // A new client mid-run gets the run from the start, then live tokens with the whole run's text.
        await using var second = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        var live = await publisher.PublishAsync(Token("live"));
        var received = await ReadAsync(second, Timeout, e => e.Id == live.Id);
        var expected = "one " + string.Concat(Enumerable.Range(0, 20).Select(i => $"t{i} ")) + "live";
        Assert.Equal(22, received.Count);
        Assert.Equal(expected, received[^1].FullText);
        Assert.Equal(expected, Deltas(received));
        AssertIncreasingIds(received);
    }

    [Fact]
    public async Task ClientsJoiningAWatchedProjectReplayWithoutReadingRedisAgain()
    {
        await using var bed = await RedisTestBed.StartAsync();
        await using var a = await bed.StartInstanceAsync();
        await using var b = await bed.StartInstanceAsync();
        var projectId = await CreateProjectAsync(a.Client);
        var publisher = a.Service<IEventPublisher>();
        StageEvent Token(string content) => RewriteToken(projectId, content);
        var transportB = b.Service<RedisEventTransport>();
        // Only the reads clients cause are counted: B's polling after its (re)connect would XRANGE the
        // watched project every second, and an announcement of these 50 reaching B during its first
        // history read would start a catch-up read after it.
        transportB.EndRecoveryPolling();
        var announcementsBefore = transportB.AnnouncementsReceived;
        var tokens = Tokens(50);
        var published = new List<StageEvent>();
        foreach (var token in tokens)
        {
            published.Add(await publisher.PublishAsync(Token(token)));
        }
        await WaitUntilAsync(() => Task.FromResult(transportB.AnnouncementsReceived >= announcementsBefore + 50), Timeout, "B hears the 50 announcements");
        var subscriptions = b.Service<IEventSubscriptions>();
        await using var watcher = await subscriptions.SubscribeAsync(projectId, null, null, CancellationToken.None);
        Assert.Equal(50, (await ReadAsync(watcher, Timeout, e => e.Id == published[^1].Id)).Count);

        // A reconnect storm on B: each client replays (from the start, or from the middle with its last id)
        // from B's own copy of the project, not with an XRANGE of the whole history each.
        var xrangeBefore = await XRangeCallsAsync(bed.Redis);
        var clients = new List<EventSubscription>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                long? afterId = i % 2 == 0 ? null : published[i].Id;
                clients.Add(await subscriptions.SubscribeAsync(projectId, i % 3 == 0 ? null : StageNames.Rewrite, afterId, CancellationToken.None));
            }
            Assert.Equal(xrangeBefore, await XRangeCallsAsync(bed.Redis));

            var live = await publisher.PublishAsync(Token("live"));
            for (var i = 0; i < clients.Count; i++)
            {
                var received = await ReadAsync(clients[i], Timeout, e => e.Id == live.Id);
                Assert.Equal(i % 2 == 0 ? 51 : 50 - i, received.Count);
                AssertIncreasingIds(received);
                Assert.Equal(string.Concat(tokens) + "live", received[^1].FullText);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<long> XRangeCallsAsync(RedisServer redis)
    {
        var stats = await redis.CommandAsync("INFO", "commandstats");
        var match = XRangeCalls().Match(stats);
        return match.Success ? long.Parse(match.Groups[1].Value) : 0;
    }

    [GeneratedRegex(@"cmdstat_xrange:calls=(\d+)")]
    private static partial Regex XRangeCalls();

    [GeneratedRegex(@"\b\d{13,}-0\b")]
    private static partial Regex EntryIds();
}
