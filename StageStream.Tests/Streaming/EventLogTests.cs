using System.Runtime.InteropServices;
using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Streaming;

/// <summary>The cost rules of the event log under the streams: deltas stored, one serialization, bounded buffers, whole runs retained.</summary>
public sealed class EventLogTests
{
    [Fact]
    public async Task EachEventIsSerializedOnceForAllItsSubscribers()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var subscriptions = app.Service<IEventSubscriptions>();
        await using var all = await subscriptions.SubscribeAsync(projectId, null, null, CancellationToken.None);
        await using var stage = await subscriptions.SubscribeAsync(projectId, "rewrite", null, CancellationToken.None);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var run = EventScript.NewRunId();
        await script.TokenAsync("rewrite", run, "Hello ");
        await script.TokenAsync("rewrite", run, "world");

        var fromAll = await TakeAsync(all, 2);
        var fromStage = await TakeAsync(stage, 2);
        for (var i = 0; i < 2; i++)
        {
            Assert.Same(fromAll[i], fromStage[i]);
            Assert.True(MemoryMarshal.TryGetArray(fromAll[i].Frame, out var a));
            Assert.True(MemoryMarshal.TryGetArray(fromStage[i].Frame, out var b));
            Assert.Same(a.Array, b.Array);
        }
        Assert.Equal("Hello world", fromStage[1].FullText);
    }

    [Fact]
    public async Task TokensAreStoredAndTransportedAsDeltasOnly()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var run = EventScript.NewRunId();
        await script.TokenAsync("rewrite", run, "one ");
        // Even a publisher that sets full_text on a token does not get it stored.
        await script.PublishAsync("rewrite", run, EventTypes.Token, with: e => e with { Content = "two", FullText = "one two" });

        var stored = await app.Service<IEventTransport>().ReadAsync(projectId, 0, CancellationToken.None);
        Assert.Equal(["one ", "two"], stored.Select(e => e.Content));
        Assert.All(stored, e => Assert.Null(e.FullText));
    }

    [Fact]
    public async Task ReaderThatFallsBehindItsBufferIsCutOffAndReleased()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Events:SubscriberBufferSize"] = "8" });
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var hub = app.Service<EventHub>();
        await using var subscription = await app.Service<IEventSubscriptions>().SubscribeAsync(projectId, "rewrite", null, CancellationToken.None);
        Assert.Equal(1, hub.SubscriberCount);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var run = EventScript.NewRunId();
        for (var i = 0; i < 20; i++)
        {
            await script.TokenAsync("rewrite", run, $"t{i} ");
        }

        Assert.True(subscription.CutOff.IsCancellationRequested);
        Assert.Equal(0, hub.SubscriberCount);
        var read = new List<DeliveredEvent>();
        await Assert.ThrowsAsync<SubscriberLaggedException>(async () =>
        {
            await foreach (var delivered in subscription.ReadAllAsync())
            {
                read.Add(delivered);
            }
        });
        // What fitted in the buffer is still delivered; the rest comes by resuming from the last id.
        Assert.Equal(8, read.Count);
    }

    [Fact]
    public void RetentionKeepsRunsWholeAndTheLatestRunOfEachStage()
    {
        var cutoff = 1000.0;
        var events = new List<StageEvent>
        {
            Event(1, "rewrite", "old", 10),
            Event(2, "rewrite", "old", 20),
            Event(3, "rewrite", "straddling", 900),
            Event(4, "rewrite", "straddling", 1100),
            Event(5, "storyboard", "story-latest", 30),
            Event(6, "rewrite", "latest", 1200),
        };
        var keep = RetentionRules.Keep(events, cutoff);
        Assert.Equal([3, 4, 5, 6], keep.Order());
    }

    private static StageEvent Event(long id, string stage, string run, double timestamp) =>
        new() { Id = id, Type = EventTypes.Token, ProjectId = "p", Stage = stage, RunId = run, Timestamp = timestamp, Content = "x" };

    private static async Task<List<DeliveredEvent>> TakeAsync(EventSubscription subscription, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var taken = new List<DeliveredEvent>();
        await foreach (var delivered in subscription.ReadAllAsync(timeout.Token))
        {
            taken.Add(delivered);
            if (taken.Count == count)
            {
                break;
            }
        }
        return taken;
    }
}
