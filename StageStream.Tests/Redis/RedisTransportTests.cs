using StageStream.Core.Events;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Tests.Infrastructure;
using StageStream.Web.Streaming.Redis;
using static StageStream.Tests.Redis.RedisTestSupport;

namespace StageStream.Tests.Redis;

/// <summary>Two instances on one real redis-server and one data folder (issue 5).</summary>
public sealed class RedisTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EventsPublishedOnAReachAClientOnBCompleteAndInOrder()
    {
        await using var bed = await RedisTestBed.StartAsync();
        await using var a = await bed.StartInstanceAsync();
        await using var b = await bed.StartInstanceAsync();
        var projectId = await CreateProjectAsync(a.Client);

        await using var onB = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        var reading = ReadAsync(onB, Timeout);

        var publisher = a.Service<IEventPublisher>();
        var tokens = Tokens(300);
        var published = await PublishRunAsync(publisher, projectId, tokens);

        var received = await reading;
        Assert.Equal(published.Select(e => (e.Id, e.Type, e.Content)), received.Select(e => (e.Id, e.Type, e.Event.Content)));
        // The in-process scheme: milliseconds since the epoch times 1000 plus a counter, exact as a JavaScript number.
        Assert.All(published, e => Assert.InRange(e.Id, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 600_000) * 1000, (1L << 53) - 1));
        AssertIncreasingIds(received);
        Assert.Equal(string.Concat(tokens), received.Last(e => e.Type == EventTypes.Token).FullText);
        Assert.Equal("done", onB.EndReason);

        // A late client on B replays the same run, with the same ids, from Redis.
        await using var late = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        var replayed = await ReadAsync(late, Timeout);
        Assert.Equal(published.Select(e => e.Id), replayed.Select(e => e.Id));
        Assert.Equal(string.Concat(tokens), replayed.Last(e => e.Type == EventTypes.Token).FullText);
    }

    [Fact]
    public async Task RewriteRunOnAIsWatchedFromBWithTheStoredText()
    {
        await using var bed = await RedisTestBed.StartAsync();
        var tokens = Tokens(200);
        await using var a = await bed.StartInstanceAsync(tokens, TimeSpan.FromMilliseconds(5));
        await using var b = await bed.StartInstanceAsync(tokens, TimeSpan.FromMilliseconds(5));
        var projectId = await CreateProjectAsync(a.Client);

        await RunStageAsync(a.Client, projectId, StageNames.Rewrite);
        await using var onB = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        await using var onA = await a.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        var fromA = ReadAsync(onA, Timeout);
        var received = await ReadAsync(onB, Timeout);

        AssertIncreasingIds(received);
        var done = Assert.Single(received, e => e.Type == EventTypes.Done);
        Assert.Equal(string.Concat(tokens), done.Event.FullText);
        Assert.Equal(done.Event.FullText, Deltas(received));
        Assert.Equal(done.Event.FullText, received.Last(e => e.Type == EventTypes.Token).FullText);
        Assert.Equal(done.Event.FullText!.Trim(), await RewrittenTextAsync(b.Client, projectId));
        // Both instances saw the very same messages.
        Assert.Equal((await fromA).Select(e => (e.Id, e.Type, e.FullText)), received.Select(e => (e.Id, e.Type, e.FullText)));
    }

    [Fact]
    public async Task PipelineRunOnAWithTheOfflineProvidersIsWatchedCompleteAndInOrderFromB()
    {
        await using var bed = await RedisTestBed.StartAsync();
        // The app as shipped: offline providers for every stage, tokens paced so B watches them live.
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = bed.Redis.ConnectionString,
            ["Providers:Offline:TokensPerSecond"] = "400",
            ["Pipeline:Width"] = "320",
            ["Pipeline:Height"] = "180",
        };
        await using var a = await TestApp.StartAsync(settings, bed.Data.Path);
        await using var b = await TestApp.StartAsync(settings, bed.Data.Path);
        var projectId = await CreateProjectAsync(a.Client,
            "The old lighthouse keeper climbed the stairs at dusk. The storm was coming fast. " +
            "He lit the great lamp and watched the sea. A small boat fought the waves. At dawn the boat was safe.");

        await using var onB = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, null, null, CancellationToken.None);
        await using var onA = await a.Service<IEventSubscriptions>().SubscribeAsync(projectId, null, null, CancellationToken.None);
        var fromA = ReadAsync(onA, TimeSpan.FromMinutes(3));
        var readingB = ReadAsync(onB, TimeSpan.FromMinutes(3));
        var run = await a.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, run.StatusCode);
        var received = await readingB;

        AssertIncreasingIds(received);
        Assert.Equal(EventTypes.PipelineDone, received[^1].Type);
        Assert.Equal("pipeline_done", onB.EndReason);
        foreach (var stage in StageCatalog.Names)
        {
            Assert.Single(received, e => e.Type == EventTypes.Done && e.Event.Stage == stage);
        }
        var rewrite = received.Where(e => e.Event.Stage == StageNames.Rewrite).ToList();
        Assert.True(rewrite.Count(e => e.Type == EventTypes.Token) > 10);
        var rewriteDone = rewrite.Single(e => e.Type == EventTypes.Done);
        Assert.Equal(rewriteDone.Event.FullText, Deltas(rewrite));
        Assert.Equal(rewriteDone.Event.FullText, rewrite.Last(e => e.Type == EventTypes.Token).FullText);
        Assert.Equal(rewriteDone.Event.FullText!.Trim(), await RewrittenTextAsync(b.Client, projectId));
        // The instance running the pipeline and the other one sent the very same messages.
        Assert.Equal((await fromA).Select(e => (e.Id, e.Type, e.FullText)), received.Select(e => (e.Id, e.Type, e.FullText)));
    }

    [Fact]
    public async Task ClientThatReconnectsToTheOtherInstanceWithLastIdEndsWithTheFullText()
    {
        await using var bed = await RedisTestBed.StartAsync();
        var tokens = Tokens(300);
        await using var a = await bed.StartInstanceAsync(tokens, TimeSpan.FromMilliseconds(10));
        await using var b = await bed.StartInstanceAsync(tokens, TimeSpan.FromMilliseconds(10));
        var projectId = await CreateProjectAsync(a.Client);
        await RunStageAsync(a.Client, projectId, StageNames.Rewrite);

        List<DeliveredEvent> first;
        var tokensSeen = 0;
        await using (var onA = await a.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None))
        {
            first = await ReadAsync(onA, Timeout, e => e.Type == EventTypes.Token && ++tokensSeen == 40);
        }
        Assert.Equal(40, tokensSeen);
        Assert.DoesNotContain(first, e => e.Type == EventTypes.Done);

        await using var onB = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, first[^1].Id, CancellationToken.None);
        var rest = await ReadAsync(onB, Timeout);
        var all = first.Concat(rest).ToList();

        AssertIncreasingIds(all);
        var done = Assert.Single(all, e => e.Type == EventTypes.Done);
        Assert.Equal(string.Concat(tokens), Deltas(all));
        // B builds full_text for a run it joined in the middle: from the whole run, not from where it joined.
        Assert.Equal(done.Event.FullText, rest.Last(e => e.Type == EventTypes.Token).FullText);
        Assert.Equal(done.Event.FullText!.Trim(), await RewrittenTextAsync(b.Client, projectId));
    }

    [Fact]
    public async Task RedisStoppedForFiveSecondsMidTokenStreamLosesNothing()
    {
        await using var bed = await RedisTestBed.StartAsync();
        var tokens = Tokens(480);
        var delay = TimeSpan.FromMilliseconds(25);
        await using var a = await bed.StartInstanceAsync(tokens, delay);
        await using var b = await bed.StartInstanceAsync(tokens, delay);
        var projectId = await CreateProjectAsync(a.Client);
        await RunStageAsync(a.Client, projectId, StageNames.Rewrite);

        // One client on the instance running the stage, one on the other.
        await using var onA = await a.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        await using var onB = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        var tokensOnA = 0;
        var readingA = Task.Run(() => ReadAsync(onA, TimeSpan.FromSeconds(90), e => { if (e.Type == EventTypes.Token) Interlocked.Increment(ref tokensOnA); return false; }));
        var readingB = Task.Run(() => ReadAsync(onB, TimeSpan.FromSeconds(90)));

        await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref tokensOnA) >= 40), Timeout, "40 tokens arrived");
        await bed.Redis.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(5));
        var tokensDuringOutage = Volatile.Read(ref tokensOnA);
        await bed.Redis.StartAgainAsync();

        var transport = a.Service<RedisEventTransport>();
        var stored = string.Concat(tokens).Trim();
        foreach (var received in new[] { await readingA, await readingB })
        {
            AssertIncreasingIds(received);
            var done = Assert.Single(received, e => e.Type == EventTypes.Done);
            Assert.Equal(string.Concat(tokens), Deltas(received));
            Assert.Equal(done.Event.FullText, received.Last(e => e.Type == EventTypes.Token).FullText);
            Assert.Equal(stored, received.Last(e => e.Type == EventTypes.Token).FullText!.Trim());
        }
        // The run went on during the outage: A's client saw tokens live meanwhile.
        Assert.True(tokensDuringOutage > 60, $"only {tokensDuringOutage} tokens by the end of the outage");
        Assert.Equal(stored, await RewrittenTextAsync(b.Client, projectId));
        await WaitUntilAsync(() => Task.FromResult(transport.BufferedCount == 0), Timeout, "the outbox is empty");
        Assert.Equal(0, transport.DroppedCount);

        // Redis restarted empty; the instance wrote its recent events back, so a new client still gets the whole run.
        await using var late = await b.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        var replayed = await ReadAsync(late, Timeout);
        Assert.Equal((await readingB).Select(e => e.Id), replayed.Select(e => e.Id));
        Assert.Equal(string.Concat(tokens), replayed.Last(e => e.Type == EventTypes.Token).FullText);
    }

    [Fact]
    public async Task OneRedisSubscriptionPerProcessWithAHundredClients()
    {
        await using var bed = await RedisTestBed.StartAsync();
        await using var a = await bed.StartInstanceAsync();
        await using var b = await bed.StartInstanceAsync();
        var projects = new[] { await CreateProjectAsync(a.Client), await CreateProjectAsync(a.Client) };

        var subscriptions = new List<EventSubscription>();
        try
        {
            for (var i = 0; i < 100; i++)
            {
                subscriptions.Add(await b.Service<IEventSubscriptions>().SubscribeAsync(
                    projects[i % 2], i % 3 == 0 ? null : StageNames.Rewrite, null, CancellationToken.None));
            }
            Assert.Equal(100, b.Service<EventHub>().SubscriberCount);

            var transportB = b.Service<RedisEventTransport>();
            var transportA = a.Service<RedisEventTransport>();
            Assert.Equal(1, transportB.SubscriptionCount);
            // Counted by the server: channels and patterns of each process's connections.
            var clients = await bed.Redis.ClientListAsync();
            int SubscriptionsOf(string name) => clients.Where(c => c.GetValueOrDefault("name") == name)
                .Sum(c => int.Parse(c.GetValueOrDefault("sub", "0")) + int.Parse(c.GetValueOrDefault("psub", "0")));
            Assert.Equal(1, SubscriptionsOf(transportB.ClientName));
            Assert.Equal(1, SubscriptionsOf(transportA.ClientName));
            Assert.Contains(":2", await bed.Redis.CommandAsync("PUBSUB", "NUMSUB", transportB.Keys.Announcements));
            Assert.Equal(0, await bed.Redis.IntegerAsync("PUBSUB", "NUMPAT"));

            // And every one of the hundred clients gets each event, which reached the process once.
            var announcementsBefore = transportB.AnnouncementsReceived;
            var publisher = a.Service<IEventPublisher>();
            foreach (var projectId in projects)
            {
                await publisher.PublishAsync(new StageEvent
                {
                    Type = EventTypes.StageUpdate, ProjectId = projectId, Stage = StageNames.Rewrite, RunId = "r-" + projectId, Status = "processing",
                });
            }
            var firsts = await Task.WhenAll(subscriptions.Select(s => ReadAsync(s, Timeout, _ => true)));
            Assert.All(firsts, events => Assert.Equal(EventTypes.StageUpdate, Assert.Single(events).Type));
            Assert.Equal(projects.Length, transportB.AnnouncementsReceived - announcementsBefore);
        }
        finally
        {
            foreach (var subscription in subscriptions)
            {
                await subscription.DisposeAsync();
            }
        }
        Assert.Equal(0, b.Service<EventHub>().SubscriberCount);
    }
}
