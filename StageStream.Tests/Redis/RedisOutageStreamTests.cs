using System.Net;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Events;
using StageStream.Core.Projects;
using StageStream.Tests.Streaming;
using StageStream.Web.Streaming.Redis;
using static StageStream.Tests.Redis.RedisTestSupport;

namespace StageStream.Tests.Redis;

/// <summary>What clients and the outbox see while Redis is away (review items 3 and 7).</summary>
public sealed class RedisOutageStreamTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task NewStreamDuringARedisOutageIsTold200RetryAndReconnectsWithItsLastIdWhenRedisReturns()
    {
        await using var bed = await RedisTestBed.StartAsync();
        await using var app = await bed.StartInstanceAsync();
        var projectId = await CreateProjectAsync(app.Client);
        await RunStageAsync(app.Client, projectId, StageNames.Rewrite);
        var path = $"/api/v1/sse/projects/{projectId}/stages/rewrite/";
        List<SseFrame> first;
        await using (var client = await SseClient.OpenAsync(app.BaseAddress, path))
        {
            first = await client.ReadToStreamEndAsync(Timeout);
        }
        var lastDone = first.Last(f => f.Type == EventTypes.Done);
        // The server has let go of that stream, so the project is no longer followed from memory: the next read must go to Redis.
        var transport = app.Service<RedisEventTransport>();
        var hub = app.Service<EventHub>();
        await WaitUntilAsync(() => Task.FromResult(!hub.HasSubscribers(projectId) && transport.WatchedProjectCount == 0), Timeout,
            "the first stream is released");

        await bed.Redis.StopAsync();
        await WaitUntilAsync(() => Task.FromResult(!transport.IsConnected), Timeout, "the app notices Redis is gone");

        // A browser's EventSource stops for good on any status but 200: the answer is a stream saying "retry in 1 s".
        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = Timeout };
        var started = DateTime.UtcNow;
        using var response = await SseClient.SendAsync(app.BaseAddress, path, lastDone.Id, http);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache, no-transform", response.Headers.NonValidated["Cache-Control"].ToString());
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.StartsWith("retry: 1000\n", body, StringComparison.Ordinal);
        Assert.EndsWith("\n\n", body, StringComparison.Ordinal);
        // No message (no data, no id): the client's Last-Event-ID stays what it was.
        Assert.DoesNotContain("data:", body, StringComparison.Ordinal);
        Assert.DoesNotContain("id:", body, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "the answer came only after a long wait");

        // Redis returns: the reconnect with its last id gets what a reconnect always gets (here: 204, the run had ended).
        await bed.Redis.StartAgainAsync();
        await WaitUntilAsync(() => Task.FromResult(transport.IsConnected), Timeout, "the app reconnects");
        // The restarted Redis is empty (no persistence) until the instance writes its recent events back: the
        // messages of the stream (less connected and stream_end) and the stage_completed only the all-stages stream carries.
        await WaitUntilAsync(async () => await bed.Redis.IntegerAsync("XLEN", transport.Keys.Stream(projectId)) == first.Count - 2 + 1,
            Timeout, "the run is written back to Redis");
        using var again = await SseClient.SendAsync(app.BaseAddress, path, lastDone.Id, http);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        // And a reconnect from before the end replays the rest of the run from Redis.
        await using var resumed = await SseClient.OpenAsync(app.BaseAddress, path, first[1].Id);
        var rest = await resumed.ReadToStreamEndAsync(Timeout);
        Assert.Equal(first.Skip(2).Select(f => f.Id), rest.Skip(1).Select(f => f.Id));
    }

    [Fact]
    public async Task EventsBufferedThroughAnOutageWithinTheWindowAreWrittenEvenIfTheReconnectTakesLonger()
    {
        await using var bed = await RedisTestBed.StartAsync();
        var clock = new ShiftedClock();
        await using var app = await bed.StartInstanceAsync(configure: builder =>
            builder.Services.AddSingleton(provider => ActivatorUtilities.CreateInstance<RedisEventTransport>(provider, (TimeProvider)clock)));
        var transport = app.Service<RedisEventTransport>();
        var projectId = await CreateProjectAsync(app.Client);
        await using var subscription = await app.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        var publisher = app.Service<IEventPublisher>();
        StageEvent New(string content) => RewriteToken(projectId, content);

        // From here the transport's clock moves only by Offset, so the ages below are exact however slowly
        // redis-server restarts and the client reconnects on a loaded machine.
        clock.Hold();
        await bed.Redis.StopAsync();
        await WaitUntilAsync(() => Task.FromResult(!transport.IsConnected), Timeout, "the app notices Redis is gone");
        var buffered = await publisher.PublishAsync(New("during the outage "));
        Assert.Equal(1, transport.BufferedCount);

        // Redis is away for 58 s (within the 60 s window); the flush loop looks at the outbox meanwhile.
        clock.Offset = TimeSpan.FromSeconds(58);
        await Task.Delay(600);
        Assert.Equal(1, transport.BufferedCount);
        // The reconnect back-off takes the oldest event past 60 s of age (but within the grace) before the first write.
        clock.Offset = TimeSpan.FromSeconds(62);
        await Task.Delay(600);
        await bed.Redis.StartAgainAsync();
        await WaitUntilAsync(() => Task.FromResult(transport.BufferedCount == 0), Timeout, "the outbox is flushed");

        Assert.Equal(0, transport.DroppedCount);
        Assert.Equal(1, await bed.Redis.IntegerAsync("XLEN", transport.Keys.Stream(projectId)));
        var after = await publisher.PublishAsync(New("after"));
        var received = await ReadAsync(subscription, Timeout, e => e.Id == after.Id);
        Assert.Equal([buffered.Id, after.Id], received.Select(e => e.Id));
        Assert.Equal("during the outage after", received[^1].FullText);

        // An outage that does outlast the window (and the reconnect grace) still drops the oldest events.
        await bed.Redis.StopAsync();
        await WaitUntilAsync(() => Task.FromResult(!transport.IsConnected), Timeout, "the app notices Redis is gone again");
        await publisher.PublishAsync(New("lost "));
        clock.Offset += TimeSpan.FromSeconds(120);
        await WaitUntilAsync(() => Task.FromResult(transport.DroppedCount == 1), Timeout, "the expired event is dropped");
        Assert.Equal(0, transport.BufferedCount);

    }

    /// <summary>
    /// The system clock, moved forward by <see cref="Offset"/>, for the transport only (timers run in real time);
    /// after <see cref="Hold"/> it stands still but for the offset.
    /// </summary>
    private sealed class ShiftedClock : TimeProvider
    {
        private long _offsetTicks;
        private long _heldTicks;

        public void Hold() => Interlocked.Exchange(ref _heldTicks, base.GetUtcNow().UtcTicks);

        public TimeSpan Offset
        {
            get => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
            set => Interlocked.Exchange(ref _offsetTicks, value.Ticks);
        }

        public override DateTimeOffset GetUtcNow() =>
            (Interlocked.Read(ref _heldTicks) is var held and > 0 ? new DateTimeOffset(held, TimeSpan.Zero) : base.GetUtcNow()) + Offset;
    }
}
