using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Streaming;

/// <summary>
/// A run watched by more than the machine can write token by token is paced: its tokens go out merged, one event per beat.
/// The beat here is fired by hand (a clock whose timers wait to be told), so what is held and what goes out is exact.
/// </summary>
public sealed class PacedRunTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempFolder _folder = new();
    private readonly BeatByHand _clock = new();

    public void Dispose() => _folder.Dispose();

    private EventLogHost Start(string paceAbove) => EventLogHost.Start(_folder.Path, new Dictionary<string, string?>
    {
        ["Events:PaceAboveDeliveriesPerSecond"] = paceAbove,
    }, _clock);

    [Fact]
    public async Task AHeavilyWatchedRunsTokensGoOutMergedOnTheBeatAndADoneFirstSendsWhatIsHeld()
    {
        await using var log = Start(paceAbove: "2");
        var script = new EventScript(log.Publisher, "p");
        var run = EventScript.NewRunId();
        await using var first = await log.Subscriptions.SubscribeAsync("p", "rewrite", null, CancellationToken.None);
        await using var second = await log.Subscriptions.SubscribeAsync("p", null, null, CancellationToken.None);
        var firstReader = first.ReadAllAsync().GetAsyncEnumerator();
        var secondReader = second.ReadAllAsync().GetAsyncEnumerator();

        // Two watchers: from the first token on, 2 watchers x 1 token a second reaches the threshold of 2.
        var published = new List<StageEvent>();
        foreach (var piece in new[] { "从前", "有座", "山" })
        {
            published.Add(await script.TokenAsync("rewrite", run, piece));
        }
        Assert.Equal(3, log.Hub.HeldTokenCount("p"));
        var waiting = firstReader.MoveNextAsync().AsTask();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted, "a held token went out before the beat");

        _clock.Beat();
        Assert.True(await waiting.WaitAsync(Timeout));
        var merged = firstReader.Current;
        Assert.Equal("从前有座山", merged.Event.Content);
        Assert.Equal("从前有座山", merged.FullText);
        Assert.Equal(published[^1].Id, merged.Id);
        Assert.Equal(published[0].Id, merged.FirstId);
        // Both watchers get the same event, so the same bytes: serialized once.
        Assert.True(await secondReader.MoveNextAsync().AsTask().WaitAsync(Timeout));
        Assert.Same(merged, secondReader.Current);
        Assert.Equal(0, log.Hub.HeldTokenCount("p"));

        // A done hands on what is held first, without waiting for the beat, and keeps the order.
        var more = await script.TokenAsync("rewrite", run, "上");
        var done = await script.DoneAsync("rewrite", run, "从前有座山上");
        var afterDone = await TakeAsync(firstReader, 2);
        Assert.Equal([more.Id, done.Id], afterDone.Select(e => e.Id));
        Assert.Equal("从前有座山上", afterDone[0].FullText);
        Assert.Equal(EventTypes.Done, afterDone[1].Type);
    }

    [Fact]
    public async Task AWatcherWhoJoinsWhileTokensAreHeldGetsEachTokenOnce()
    {
        await using var log = Start(paceAbove: "1");
        var script = new EventScript(log.Publisher, "p");
        var run = EventScript.NewRunId();
        await using var early = await log.Subscriptions.SubscribeAsync("p", "rewrite", null, CancellationToken.None);
        await script.TokenAsync("rewrite", run, "one ");
        await script.TokenAsync("rewrite", run, "two ");
        Assert.Equal(2, log.Hub.HeldTokenCount("p"));

        // The late watcher's replay, read from the log, already has "one " and "two "; a third token joins them in the hold.
        await using var late = await log.Subscriptions.SubscribeAsync("p", "rewrite", null, CancellationToken.None);
        var lateReader = late.ReadAllAsync().GetAsyncEnumerator();
        var replayed = await TakeAsync(lateReader, 2);
        Assert.Equal(["one ", "two "], replayed.Select(e => e.Event.Content));
        var three = await script.TokenAsync("rewrite", run, "three");
        _clock.Beat();

        var live = (await TakeAsync(lateReader, 1))[0];
        Assert.Equal("three", live.Event.Content);
        Assert.Equal("one two three", live.FullText);
        Assert.Equal(three.Id, live.Id);
        var earlyMerged = (await TakeAsync(early.ReadAllAsync().GetAsyncEnumerator(), 1))[0];
        Assert.Equal("one two three", earlyMerged.Event.Content);
    }

    [Fact]
    public async Task BelowTheThresholdEveryTokenGoesOutAlone()
    {
        await using var log = Start(paceAbove: "100000");
        var script = new EventScript(log.Publisher, "p");
        var run = EventScript.NewRunId();
        await using var subscription = await log.Subscriptions.SubscribeAsync("p", "rewrite", null, CancellationToken.None);
        var reader = subscription.ReadAllAsync().GetAsyncEnumerator();
        var published = new List<StageEvent>();
        for (var i = 0; i < 20; i++)
        {
            published.Add(await script.TokenAsync("rewrite", run, $"{i} "));
        }
        Assert.Equal(0, log.Hub.HeldTokenCount("p"));
        var received = await TakeAsync(reader, 20);
        Assert.Equal(published.Select(e => e.Id), received.Select(e => e.Id));
        Assert.All(received, e => Assert.Null(e.Parts));
    }

    [Fact]
    public async Task OverHttpAPacedRunsMessagesAreValidTokensAndAResumeFromOneLosesNothing()
    {
        // Every run paced, on a beat long enough that a burst of tokens surely shares one.
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Events:PaceAboveDeliveriesPerSecond"] = "1",
            ["Events:PaceMilliseconds"] = "1000",
        });
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var path = $"/api/v1/sse/projects/{projectId}/stages/rewrite/";
        await using var watcher = await SseClient.OpenAsync(app.BaseAddress, path);
        Assert.Equal("connected", (await watcher.ReadMessageAsync()).Type);

        var run = EventScript.NewRunId();
        var pieces = Enumerable.Range(0, 12).Select(i => $"字{i} ").ToList();
        var published = new List<StageEvent>();
        foreach (var piece in pieces)
        {
            published.Add(await script.TokenAsync("rewrite", run, piece));
        }
        var text = string.Concat(pieces);
        await script.DoneAsync("rewrite", run, text);
        var messages = await watcher.ReadToStreamEndAsync(Timeout);
        var tokens = messages.Where(m => m.Type == "token").ToList();

        Assert.True(tokens.Count < pieces.Count, $"{tokens.Count} token messages for {pieces.Count} tokens: nothing was merged");
        Assert.Equal(text, string.Concat(tokens.Select(t => t.Str("content"))));
        Assert.Equal(text, tokens[^1].Str("full_text"));
        Assert.Equal(published[^1].Id, tokens[^1].IdNumber);
        var ids = tokens.Select(t => t.IdNumber).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal("done", messages.Last(m => m.Type != "stream_end").Type);

        // From the first message's id, the rest of the text follows, once.
        await using var resumed = await SseClient.OpenAsync(app.BaseAddress, path, lastEventId: tokens[0].Id);
        var rest = (await resumed.ReadToStreamEndAsync(Timeout)).Where(m => m.Type == "token").ToList();
        Assert.Equal(text, tokens[0].Str("content") + string.Concat(rest.Select(t => t.Str("content"))));
    }

    private static async Task<List<DeliveredEvent>> TakeAsync(IAsyncEnumerator<DeliveredEvent> reader, int count)
    {
        var events = new List<DeliveredEvent>();
        while (events.Count < count)
        {
            Assert.True(await reader.MoveNextAsync().AsTask().WaitAsync(Timeout));
            events.Add(reader.Current);
        }
        return events;
    }

    /// <summary>The system clock, except that its timers fire only when <see cref="Beat"/> says so.</summary>
    private sealed class BeatByHand : TimeProvider
    {
        private readonly List<(TimerCallback Callback, object? State)> _timers = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (_timers)
            {
                _timers.Add((callback, state));
            }
            return new Held();
        }

        public void Beat()
        {
            List<(TimerCallback Callback, object? State)> timers;
            lock (_timers)
            {
                timers = [.. _timers];
            }
            foreach (var (callback, state) in timers)
            {
                callback(state);
            }
        }

        private sealed class Held : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
