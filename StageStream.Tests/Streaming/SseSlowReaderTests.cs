using System.Diagnostics;
using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Streaming;

/// <summary>A client that stops reading must not hold up the others, and is cut off to catch up later.</summary>
public sealed class SseSlowReaderTests
{
    [Fact]
    public async Task ClientThatNeverReadsDoesNotSlowAReaderAndIsDisconnected()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Events:SubscriberBufferSize"] = "256",
            // The default merging: a reader that stalls a moment on a busy machine catches up instead of being cut off.
            ["Streaming:CoalesceAfterMilliseconds"] = "30",
        });
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var hub = app.Service<EventHub>();
        var path = $"/api/v1/sse/projects/{projectId}/stages/rewrite/";

        // Each token carries the whole text so far, so 600 tokens of 80 characters send ~14 MB:
        // far more than the socket buffers of a client that never reads can hold.
        var pieces = Enumerable.Range(0, 600).Select(i => $"{i:D4}" + new string((char)('a' + i % 26), 75) + " ").ToList();
        var text = string.Concat(pieces);

        await using var stalled = await SseClient.OpenAsync(app.BaseAddress, path);
        await using var reader = await SseClient.OpenAsync(app.BaseAddress, path);
        Assert.Equal("connected", (await reader.ReadMessageAsync()).Type);
        Assert.Equal(2, hub.SubscriberCount);

        var reading = Task.Run(() => reader.ReadToStreamEndAsync(TimeSpan.FromSeconds(30)));
        var run = EventScript.NewRunId();
        var publishing = Stopwatch.StartNew();
        await script.StageUpdateAsync("rewrite", run, "processing");
        foreach (var piece in pieces)
        {
            await script.TokenAsync("rewrite", run, piece);
            // A fast model's pace (hundreds of tokens a second), which a reading client keeps up with.
            await Task.Delay(2);
        }
        await script.DoneAsync("rewrite", run, text);
        publishing.Stop();
        // The publisher never waits for a subscriber; the hub only ever tries to write.
        Assert.True(publishing.Elapsed < TimeSpan.FromSeconds(60), $"Publishing took {publishing.Elapsed}.");

        var messages = await reading;
        var tokens = messages.Where(m => m.Type == "token").ToList();
        // A reader that falls behind may get waiting tokens merged into one message: their contents add up the same.
        Assert.InRange(tokens.Count, 1, pieces.Count);
        Assert.Equal(text, string.Concat(tokens.Select(t => t.Str("content"))));
        Assert.Equal(text, tokens[^1].Str("full_text"));
        Assert.Equal(["done", "stream_end"], messages.TakeLast(2).Select(m => m.Type));

        // The reader has finished and the stalled client was cut off: no subscription is left,
        // although the stalled client has not closed its end.
        await StreamTestSupport.WaitUntilAsync(() => hub.SubscriberCount == 0, TimeSpan.FromSeconds(10), "both subscriptions are released");

        // The server dropped the stalled connection: reading it now gets what was buffered, then its end, and never the run's end.
        var received = new List<SseFrame>();
        var drain = Stopwatch.StartNew();
        try
        {
            while (await stalled.ReadFrameAsync(TimeSpan.FromSeconds(20)) is { } frame)
            {
                received.Add(frame);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // An aborted connection ends the chunked body early.
        }
        Assert.True(drain.Elapsed < TimeSpan.FromSeconds(20));
        var stalledTokens = received.Where(f => f.Type == "token").ToList();
        Assert.NotEmpty(stalledTokens);
        Assert.True(stalledTokens.Count < pieces.Count, "The stalled client should have been cut off before the end of the run.");
        Assert.DoesNotContain(received, f => f.Type is "done" or "stream_end");

        // It catches up from its last id, losing nothing.
        await using var resumed = await SseClient.OpenAsync(app.BaseAddress, path, lastEventId: received.Last(f => f.Id is not null).Id);
        var rest = (await resumed.ReadToStreamEndAsync(TimeSpan.FromSeconds(30))).Skip(1).ToList();
        var allTokens = stalledTokens.Concat(rest.Where(f => f.Type == "token")).ToList();
        Assert.Equal(text, string.Concat(allTokens.Select(t => t.Str("content"))));
        Assert.True(allTokens.Select(t => t.IdNumber).Zip(allTokens.Skip(1).Select(t => t.IdNumber)).All(pair => pair.First < pair.Second), "Ids must increase.");
        Assert.Equal(text, allTokens[^1].Str("full_text"));
        Assert.Equal("done", rest[^2].Type);
    }
}
