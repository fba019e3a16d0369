using System.Diagnostics;
using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Streaming;

/// <summary>Heartbeats in silences and idle timeouts counted on real messages only, with short configured values.</summary>
public sealed class SseTimingTests
{
    private static readonly Dictionary<string, string?> ShortTimings = new()
    {
        ["Streaming:HeartbeatSeconds"] = "0.3",
        ["Streaming:SingleStageIdleTimeoutSeconds"] = "1.5",
        ["Streaming:AllStagesIdleTimeoutSeconds"] = "3",
    };

    [Fact]
    public async Task HeartbeatsFillSilenceAndTheSingleStageStreamIdlesOutOnMessagesOnly()
    {
        await using var app = await TestApp.StartAsync(ShortTimings);
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);

        // The clock starts before the request, so the server's idle clock never starts before it.
        var clock = Stopwatch.StartNew();
        await using var sse = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/rewrite/");
        Assert.Equal("connected", (await sse.ReadMessageAsync()).Type);
        // A real message restarts the idle clock; the heartbeats around it do not.
        await Task.Delay(400);
        var beforeMessage = clock.Elapsed;
        var message = await script.StageUpdateAsync("rewrite", EventScript.NewRunId(), "queued");
        var afterMessage = clock.Elapsed;

        var messages = await sse.ReadToStreamEndAsync(TimeSpan.FromSeconds(10));
        var elapsed = clock.Elapsed;
        Assert.Equal(["stage_update", "stream_end"], messages.Select(m => m.Type));
        var end = messages[^1];
        Assert.Equal("idle_timeout", end.Str("message"));
        Assert.Equal(message.Id, end.IdNumber);
        Assert.True(elapsed >= beforeMessage + TimeSpan.FromSeconds(1.5), $"Idle timeout after {elapsed}, message at {beforeMessage}: the message must restart the idle clock.");
        Assert.True(elapsed < afterMessage + TimeSpan.FromSeconds(4), $"Idle timeout after {elapsed}, message at {afterMessage}: heartbeats must not keep the stream alive.");

        var heartbeats = sse.Received.Where(f => f.IsComment).ToList();
        Assert.True(heartbeats.Count >= 4, $"Expected a heartbeat about every 0.3 s, got {heartbeats.Count} in {elapsed}.");
        Assert.All(heartbeats, h => Assert.Equal(["heartbeat"], h.Comments));
        // Heartbeats are comments only: no id, so they never move a client's Last-Event-ID.
        Assert.All(heartbeats, h => Assert.Null(h.Id));
    }

    [Fact]
    public async Task AllStagesStreamUsesItsOwnIdleTimeout()
    {
        // A longer all-stages timeout than in ShortTimings, so that opening the second stream may take a while.
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>(ShortTimings)
        {
            ["Streaming:AllStagesIdleTimeoutSeconds"] = "5",
        });
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);

        // Each clock starts before its request, so neither stream's idle clock on the server starts before it.
        var allClock = Stopwatch.StartNew();
        await using var all = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}");
        var singleClock = Stopwatch.StartNew();
        await using var single = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/storyboard");
        var singleEnd = Task.Run(async () =>
        {
            await single.ReadToStreamEndAsync(TimeSpan.FromSeconds(15));
            return (Own: singleClock.Elapsed, OnAllClock: allClock.Elapsed);
        });
        var allMessages = await all.ReadToStreamEndAsync(TimeSpan.FromSeconds(15));
        var allElapsed = allClock.Elapsed;

        Assert.Equal(["connected", "stream_end"], allMessages.Select(m => m.Type));
        Assert.Equal("idle_timeout", allMessages[^1].Str("message"));
        Assert.Equal(allMessages[0].IdNumber, allMessages[^1].IdNumber);
        var singleElapsed = await singleEnd;
        Assert.InRange(allElapsed, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(9));
        Assert.True(singleElapsed.Own >= TimeSpan.FromSeconds(1.5), $"The single-stage stream idled out after {singleElapsed.Own}.");
        Assert.True(singleElapsed.OnAllClock < allElapsed - TimeSpan.FromSeconds(1), $"Single-stage stream ended after {singleElapsed.OnAllClock}, all-stages after {allElapsed}.");
        Assert.Contains(all.Received, f => f.IsComment);
    }

    [Fact]
    public async Task DefaultTimingsAreTheOldSystems()
    {
        await using var app = await TestApp.StartAsync();
        var options = app.Service<Microsoft.Extensions.Options.IOptions<StageStream.Web.Streaming.StreamingOptions>>().Value;
        Assert.Equal(15, options.HeartbeatSeconds);
        Assert.Equal(600, options.SingleStageIdleTimeoutSeconds);
        Assert.Equal(1800, options.AllStagesIdleTimeoutSeconds);
    }
}
