using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Streaming;

/// <summary>The hub holds state only for watched projects, and each subscription's resources end with it (review items 9 and 12).</summary>
public sealed class EventHubLifecycleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ProjectStateIsDroppedWithItsLastSubscriberAndANewSubscriberMidRunGetsTheWholeText()
    {
        await using var app = await TestApp.StartAsync();
        var hub = app.Service<EventHub>();
        var subscriptions = app.Service<IEventSubscriptions>();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var run = EventScript.NewRunId();
        var released = new List<string>();
        hub.ProjectReleased += id => { lock (released) { released.Add(id); } };

        await using (var first = await subscriptions.SubscribeAsync(projectId, "rewrite", null, CancellationToken.None))
        await using (var second = await subscriptions.SubscribeAsync(projectId, null, null, CancellationToken.None))
        {
            await script.TokenAsync("rewrite", run, "one ");
            Assert.Equal("one ", (await TakeAsync(first, 1))[0].FullText);
            Assert.Equal(1, hub.ProjectCount);
            await second.DisposeAsync();
            Assert.Equal(1, hub.ProjectCount);
        }
        Assert.Equal(0, hub.SubscriberCount);
        Assert.Equal(0, hub.ProjectCount);
        Assert.Equal([projectId], released);

        // The run goes on with nobody watching: the hub keeps nothing for it.
        await script.TokenAsync("rewrite", run, "two ");
        await script.TokenAsync("rewrite", run, "three ");
        Assert.Equal(0, hub.ProjectCount);

        // A new subscriber mid-run replays the run, then its live tokens carry the whole run's text.
        await using var late = await subscriptions.SubscribeAsync(projectId, "rewrite", null, CancellationToken.None);
        await script.TokenAsync("rewrite", run, "four");
        var received = await TakeAsync(late, 4);
        Assert.Equal(["one ", "one two ", "one two three ", "one two three four"], received.Select(e => e.FullText));
    }

    [Fact]
    public async Task ASubscriptionsCutOffSourceIsDisposedWithIt()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var subscription = await app.Service<IEventSubscriptions>().SubscribeAsync(projectId, "rewrite", null, CancellationToken.None);
        var cutOff = subscription.CutOff;
        _ = cutOff.WaitHandle;
        await subscription.DisposeAsync();
        // A disposed source refuses its wait handle; an undisposed one (the leak) hands it out.
        Assert.Throws<ObjectDisposedException>(() => cutOff.WaitHandle);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SubscribersClosedWhileTheyAreCutOffNeverBreakThePublisher(bool paced)
    {
        // Paced, readers are cut off from inside the pacer (on its beat, too) while others leave and release the project.
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Events:SubscriberBufferSize"] = "2",
            ["Events:PaceAboveDeliveriesPerSecond"] = paced ? "1" : "0",
            ["Events:PaceMilliseconds"] = "1",
        });
        var hub = app.Service<EventHub>();
        var subscriptions = app.Service<IEventSubscriptions>();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var run = EventScript.NewRunId();

        using var stop = new CancellationTokenSource();
        // Readers that never read (so the hub cuts them off) and leave at once, over and over.
        var churn = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var subscription = await subscriptions.SubscribeAsync(projectId, "rewrite", null, CancellationToken.None);
                await Task.Yield();
                await subscription.DisposeAsync();
            }
        })).ToList();
        for (var i = 0; i < 3000; i++)
        {
            await script.TokenAsync("rewrite", run, "x");
        }
        await stop.CancelAsync();
        await Task.WhenAll(churn).WaitAsync(Timeout);
        Assert.Equal(0, hub.SubscriberCount);
        Assert.Equal(0, hub.ProjectCount);
    }

    private static async Task<List<DeliveredEvent>> TakeAsync(EventSubscription subscription, int count)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        var events = new List<DeliveredEvent>();
        await foreach (var delivered in subscription.ReadAllAsync(cancel.Token))
        {
            events.Add(delivered);
            if (events.Count == count)
            {
                break;
            }
        }
        return events;
    }
}
