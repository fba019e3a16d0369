using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Bench;

/// <summary>The per-subscriber costs the fan-out benchmark drove down stay down, and behave.</summary>
public sealed class HotPathTests
{
    [Fact]
    public void ReadingABuiltFrameAllocatesNothing()
    {
        var delivered = new DeliveredEvent(Token(1), "从前有一座山");
        var first = delivered.Frame;

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(delivered.Frame.Equals(first));
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task CancellingAWaitingReadEndsItAtOnceAndTheSubscriptionIsReleased()
    {
        using var folder = new TempFolder();
        await using var log = EventLogHost.Start(folder.Path);
        var hub = log.Hub;
        var subscriptions = log.Subscriptions;
        await using var subscription = await subscriptions.SubscribeAsync("p", null, null, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var reader = subscription.ReadAllAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);

        hub.Deliver(Token(10));
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(10, reader.Current.Id);
        var waiting = reader.MoveNextAsync().AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        await reader.DisposeAsync();
        subscription.Dispose();
        Assert.Equal(0, hub.SubscriberCount);
    }

    [Fact]
    public async Task AReaderThatIsNotCancelledKeepsReceivingAcrossWaits()
    {
        using var folder = new TempFolder();
        await using var log = EventLogHost.Start(folder.Path);
        var hub = log.Hub;
        var subscriptions = log.Subscriptions;
        await using var subscription = await subscriptions.SubscribeAsync("p", null, null, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var reader = subscription.ReadAllAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);

        for (var id = 1; id <= 100; id++)
        {
            var next = reader.MoveNextAsync().AsTask();
            hub.Deliver(Token(id));
            Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(5)));
            Assert.Equal(id, reader.Current.Id);
        }
        await cancel.CancelAsync();
        await reader.DisposeAsync();
    }

    private static StageEvent Token(long id) => new()
    {
        Id = id, Type = EventTypes.Token, ProjectId = "p", Stage = "rewrite", RunId = "r", Content = "词", PublishedAtMs = 1,
    };
}
