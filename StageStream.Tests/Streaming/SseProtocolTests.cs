using System.Net;
using StageStream.Core.Events;
using StageStream.Core.Projects;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Streaming;

/// <summary>The wire protocol of the streams, driven by events published straight into the app's event log.</summary>
public sealed class SseProtocolTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task SingleStageStreamSendsConnectedTheRunAndStreamEndWithHeadersAndIds()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);

        await using var sse = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/rewrite/",
            configure: r => r.Headers.AcceptEncoding.ParseAdd("gzip, br"));
        var headers = sse.Response;
        Assert.Equal("text/event-stream; charset=utf-8", headers.Content.Headers.ContentType!.ToString());
        Assert.Equal("no-cache, no-transform", headers.Headers.NonValidated["Cache-Control"].ToString());
        Assert.Equal("no", Assert.Single(headers.Headers.GetValues("X-Accel-Buffering")));
        Assert.Equal("*", Assert.Single(headers.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal("GET", Assert.Single(headers.Headers.GetValues("Access-Control-Allow-Methods")));
        Assert.Equal("Content-Type, Last-Event-ID", Assert.Single(headers.Headers.GetValues("Access-Control-Allow-Headers")));
        Assert.Empty(headers.Content.Headers.ContentEncoding);

        // connected arrives before any stage event exists: it was flushed at once.
        var connected = await sse.ReadMessageAsync(Wait);
        Assert.Equal(1000, connected.Retry);
        Assert.Equal("connected", connected.Type);
        Assert.Equal(projectId, connected.Str("project_id"));
        Assert.Equal("rewrite", connected.Str("stage"));
        Assert.False(string.IsNullOrEmpty(connected.Str("message")));
        Assert.InRange(connected.Json.GetProperty("timestamp").GetDouble(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);

        var run = EventScript.NewRunId();
        await script.StageUpdateAsync("rewrite", run, "queued");
        // Another stage's event is not part of this stream.
        await script.StageUpdateAsync("storyboard", EventScript.NewRunId(), "queued");
        await script.StageUpdateAsync("rewrite", run, "processing");
        string[] pieces = ["The fox ", "found a ", "lantern — 灯笼", "."];
        foreach (var piece in pieces)
        {
            await script.TokenAsync("rewrite", run, piece);
        }
        await script.StageUpdateAsync("rewrite", run, "completed");
        var done = await script.DoneAsync("rewrite", run, string.Concat(pieces));

        var messages = await sse.ReadToStreamEndAsync(Wait);
        Assert.Equal(["stage_update", "stage_update", "token", "token", "token", "token", "stage_update", "done", "stream_end"],
            messages.Select(m => m.Type));
        Assert.Equal(["queued", "processing"], messages.Take(2).Select(m => m.Str("status")));
        Assert.All(messages.SkipLast(1), m => Assert.Equal("rewrite", m.Str("stage")));
        Assert.All(messages, m => Assert.Equal(projectId, m.Str("project_id")));
        Assert.All(messages, m => Assert.True(m.Json.GetProperty("timestamp").GetDouble() > 0));

        var tokens = messages.Where(m => m.Type == "token").ToList();
        Assert.Equal(pieces, tokens.Select(t => t.Str("content")));
        Assert.Equal(["The fox ", "The fox found a ", "The fox found a lantern — 灯笼", "The fox found a lantern — 灯笼."],
            tokens.Select(t => t.Str("full_text")));
        Assert.Equal("The fox found a lantern — 灯笼.", messages[^2].Str("full_text"));

        // Every message has an id; they increase across the stream, starting after connected's.
        var ids = messages.SkipLast(1).Select(m => m.IdNumber).ToList();
        Assert.True(ids.First() > connected.IdNumber);
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(done.Id, ids[^1]);

        var end = messages[^1];
        Assert.Equal("done", end.Str("message"));
        Assert.Equal("rewrite", end.Str("stage"));
        Assert.Equal(done.Id, end.IdNumber);
        Assert.DoesNotContain(sse.Received, f => f.Type is not null && f.Json.TryGetProperty("event", out _));
    }

    [Fact]
    public async Task AllStagesStreamSurvivesEachStageAndEndsAfterPipelineDone()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);

        // The path existing front ends call, without the trailing slash.
        await using var sse = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/projects/sse/projects/{projectId}");
        var connected = await sse.ReadMessageAsync(Wait);
        Assert.Equal("connected", connected.Type);
        Assert.Equal(1000, connected.Retry);
        Assert.False(connected.Json.TryGetProperty("stage", out _), "The all-stages connected message has no stage.");
        Assert.Equal("*", Assert.Single(sse.Response.Headers.GetValues("Access-Control-Allow-Origin")));

        var pipeline = EventScript.NewRunId();
        await script.PipelineAsync(pipeline, EventTypes.StageUpdate, "processing");
        await script.TextRunAsync("rewrite", EventScript.NewRunId(), ["Once ", "upon."], pipeline);
        await script.TextRunAsync("storyboard", EventScript.NewRunId(), ["{\"scenes\":[]}"], pipeline);
        await script.StageUpdateAsync("image_generation", EventScript.NewRunId(), "skipped", pipeline);
        await script.PipelineAsync(pipeline, EventTypes.PipelineDone);

        var messages = await sse.ReadToStreamEndAsync(Wait);
        Assert.Equal(
            [
                "pipeline:stage_update",
                "rewrite:stage_update", "rewrite:stage_update", "rewrite:token", "rewrite:token", "rewrite:stage_update", "rewrite:done",
                "storyboard:stage_update", "storyboard:stage_update", "storyboard:token", "storyboard:stage_update", "storyboard:done",
                "image_generation:stage_update",
                "pipeline:pipeline_done",
                ":stream_end",
            ],
            messages.Select(m => $"{m.Str("stage")}:{m.Type}"));
        var ids = messages.SkipLast(1).Select(m => m.IdNumber).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal("pipeline_done", messages[^1].Str("message"));
        Assert.Equal(ids[^1], messages[^1].IdNumber);
        Assert.Equal("Once upon.", messages.Last(m => m.Type == "token" && m.Str("stage") == "rewrite").Str("full_text"));
    }

    [Theory]
    [InlineData("/api/v1/sse/projects/{0}/stages/storyboard/", "storyboard")]
    [InlineData("/api/v1/sse/projects/{0}/stages/storyboard", "storyboard")]
    [InlineData("/api/v1/projects/sse/projects/{0}/stages/video_generation/", "video_generation")]
    [InlineData("/api/v1/projects/sse/projects/{0}/stages/video_generation", "video_generation")]
    [InlineData("/api/v1/sse/projects/{0}/", null)]
    [InlineData("/api/v1/sse/projects/{0}", null)]
    [InlineData("/api/v1/projects/sse/projects/{0}/", null)]
    [InlineData("/api/v1/projects/sse/projects/{0}", null)]
    public async Task EveryPathFormServesItsStream(string pathFormat, string? stage)
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        await using var sse = await SseClient.OpenAsync(app.BaseAddress, string.Format(pathFormat, projectId));
        var connected = await sse.ReadMessageAsync(Wait);
        Assert.Equal("connected", connected.Type);
        Assert.Equal(stage, connected.Str("stage"));
        Assert.Equal(projectId, connected.Str("project_id"));
    }

    [Fact]
    public async Task ReconnectWithLastEventIdReplaysMissedTokensWithoutDuplicates()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var path = $"/api/v1/sse/projects/{projectId}/stages/rewrite/";
        var run = EventScript.NewRunId();
        var pieces = Enumerable.Range(0, 60).Select(i => $"word{i} ").ToList();

        var first = await SseClient.OpenAsync(app.BaseAddress, path);
        Assert.Equal("connected", (await first.ReadMessageAsync(Wait)).Type);
        await script.StageUpdateAsync("rewrite", run, "processing");
        foreach (var piece in pieces.Take(20))
        {
            await script.TokenAsync("rewrite", run, piece);
        }
        // Read part of the tokens, then the connection drops in the middle of the run.
        var seen = new List<SseFrame>();
        while (seen.Count(f => f.Type == "token") < 12)
        {
            seen.Add(await first.ReadMessageAsync(Wait));
        }
        await first.DisposeAsync();
        // The run goes on while the client is away.
        foreach (var piece in pieces.Skip(20))
        {
            await script.TokenAsync("rewrite", run, piece);
        }
        await script.DoneAsync("rewrite", run, string.Concat(pieces));

        await using var second = await SseClient.OpenAsync(app.BaseAddress, path, lastEventId: seen[^1].Id);
        var reconnected = await second.ReadMessageAsync(Wait);
        Assert.Equal("connected", reconnected.Type);
        Assert.Equal(seen[^1].IdNumber, reconnected.IdNumber);
        var rest = await second.ReadToStreamEndAsync(Wait);

        var all = seen.Concat(rest.SkipLast(1)).ToList();
        var ids = all.Select(f => f.IdNumber).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids.Order(), ids);
        var tokens = all.Where(f => f.Type == "token").ToList();
        Assert.Equal(pieces, tokens.Select(t => t.Str("content")));
        Assert.Equal(string.Concat(pieces), string.Concat(tokens.Select(t => t.Str("content"))));
        // The replayed tokens' full_text continues the text sent before the drop.
        Assert.Equal(string.Concat(pieces), tokens[^1].Str("full_text"));
        Assert.Equal(string.Concat(pieces.Take(13)), tokens[12].Str("full_text"));
        Assert.Equal("done", rest[^2].Type);
    }

    [Fact]
    public async Task LastEventIdQueryParameterResumesLikeTheHeader()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var run = EventScript.NewRunId();
        var events = await script.TextRunAsync("storyboard", run, ["a", "b", "c"]);

        await using var sse = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/storyboard?lastEventId={events[2].Id}");
        var messages = await sse.ReadToStreamEndAsync(Wait);
        Assert.Equal("connected", messages[0].Type);
        Assert.Equal(events.Skip(3).Select(e => e.Id), messages.Skip(1).SkipLast(1).Select(m => m.IdNumber));
        Assert.Equal(["b", "c"], messages.Where(m => m.Type == "token").Select(m => m.Str("content")));
        Assert.Equal(["ab", "abc"], messages.Where(m => m.Type == "token").Select(m => m.Str("full_text")));
    }

    [Fact]
    public async Task SubscriberAfterDoneGetsTheLatestRunAndStreamEndThenA204()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        await script.TextRunAsync("rewrite", EventScript.NewRunId(), ["old ", "run"]);
        var latest = await script.TextRunAsync("rewrite", EventScript.NewRunId(), ["new ", "run"]);
        await script.StageUpdateAsync("storyboard", EventScript.NewRunId(), "queued");
        var path = $"/api/v1/projects/sse/projects/{projectId}/stages/rewrite/";

        List<SseFrame> messages;
        await using (var late = await SseClient.OpenAsync(app.BaseAddress, path))
        {
            messages = await late.ReadToStreamEndAsync(Wait);
        }
        Assert.Equal("connected", messages[0].Type);
        Assert.Equal(latest[0].Id - 1, messages[0].IdNumber);
        Assert.Equal(latest.Select(e => e.Id), messages.Skip(1).SkipLast(1).Select(m => m.IdNumber));
        Assert.Equal(["new ", "new run"], messages.Where(m => m.Type == "token").Select(m => m.Str("full_text")));
        Assert.Equal("stream_end", messages[^1].Type);
        Assert.Equal(latest[^1].Id, messages[^1].IdNumber);

        // The browser reconnects with the last id it saw; nothing is new, so 204 stops it.
        using var again = await SseClient.SendAsync(app.BaseAddress, path, messages[^1].Id, app.Client);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal("*", Assert.Single(again.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());

        // A new run after that is delivered to the same reconnect.
        var next = EventScript.NewRunId();
        await script.StageUpdateAsync("rewrite", next, "queued");
        await using var resumed = await SseClient.OpenAsync(app.BaseAddress, path, lastEventId: messages[^1].Id);
        Assert.Equal("connected", (await resumed.ReadMessageAsync(Wait)).Type);
        var queued = await resumed.ReadMessageAsync(Wait);
        Assert.Equal(("stage_update", "queued"), (queued.Type, queued.Str("status")));
    }

    [Fact]
    public async Task CancelledOrSkippedStageEndsItsStream()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var cancelledRun = EventScript.NewRunId();
        await script.StageUpdateAsync("camera_movement", cancelledRun, "processing");
        await script.StageUpdateAsync("camera_movement", cancelledRun, "cancelled");
        await script.StageUpdateAsync("image_generation", EventScript.NewRunId(), "skipped");
        var pipeline = EventScript.NewRunId();
        await script.PipelineAsync(pipeline, EventTypes.StageUpdate, "processing");
        await script.PipelineAsync(pipeline, EventTypes.StageUpdate, "cancelled");

        await using (var camera = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/camera_movement/"))
        {
            Assert.Equal("cancelled", (await camera.ReadToStreamEndAsync(Wait))[^1].Str("message"));
        }
        await using (var image = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/image_generation/"))
        {
            Assert.Equal("skipped", (await image.ReadToStreamEndAsync(Wait))[^1].Str("message"));
        }
        await using (var all = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/"))
        {
            var messages = await all.ReadToStreamEndAsync(Wait);
            Assert.Equal(["connected", "stage_update", "stage_update", "stream_end"], messages.Select(m => m.Type));
            Assert.Equal("cancelled", messages[^1].Str("message"));
        }
    }

    [Fact]
    public async Task ErrorEndsTheStageStreamAndPipelineErrorTheAllStagesStream()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        await using var stage = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/storyboard/");
        await using var all = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/");
        Assert.Equal("connected", (await stage.ReadMessageAsync(Wait)).Type);
        Assert.Equal("connected", (await all.ReadMessageAsync(Wait)).Type);

        var pipeline = EventScript.NewRunId();
        var run = EventScript.NewRunId();
        await script.PipelineAsync(pipeline, EventTypes.StageUpdate, "processing");
        await script.StageUpdateAsync("storyboard", run, "failed", pipeline);
        await script.PublishAsync("storyboard", run, EventTypes.Error, pipeline, e => e with { Error = "bad JSON", RetryCount = 0 });
        await script.PublishAsync(StageNames.Pipeline, pipeline, EventTypes.PipelineError, pipeline, e => e with { Error = "Stage 'storyboard' failed" });

        var stageMessages = await stage.ReadToStreamEndAsync(Wait);
        Assert.Equal(["stage_update", "error", "stream_end"], stageMessages.Select(m => m.Type));
        Assert.Equal("bad JSON", stageMessages[1].Str("error"));
        Assert.Equal("error", stageMessages[^1].Str("message"));
        var allMessages = await all.ReadToStreamEndAsync(Wait);
        Assert.Equal(["stage_update", "stage_update", "error", "pipeline_error", "stream_end"], allMessages.Select(m => m.Type));
        Assert.Equal("pipeline_error", allMessages[^1].Str("message"));
    }

    [Fact]
    public async Task ClientDisconnectReleasesItsSubscriptionAtOnce()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var hub = app.Service<EventHub>();
        var clients = new List<SseClient>();
        foreach (var path in new[] { $"/api/v1/sse/projects/{projectId}/", $"/api/v1/sse/projects/{projectId}/stages/rewrite", $"/api/v1/projects/sse/projects/{projectId}" })
        {
            var client = await SseClient.OpenAsync(app.BaseAddress, path);
            Assert.Equal("connected", (await client.ReadMessageAsync(Wait)).Type);
            clients.Add(client);
        }
        Assert.Equal(3, hub.SubscriberCount);

        await clients[1].DisposeAsync();
        await StreamTestSupport.WaitUntilAsync(() => hub.SubscriberCount == 2, TimeSpan.FromSeconds(15), "the closed stream's subscription is released");
        await clients[0].DisposeAsync();
        await clients[2].DisposeAsync();
        await StreamTestSupport.WaitUntilAsync(() => hub.SubscriberCount == 0, TimeSpan.FromSeconds(15), "every subscription is released");
    }
    [Fact]
    public async Task ServerStoppingEndsOpenStreamsWithoutStreamEndSoClientsReconnect()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        await using var sse = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/");
        Assert.Equal("connected", (await sse.ReadMessageAsync(Wait)).Type);

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        var stop = app.StopAsync();
        var rest = new List<SseFrame>();
        while (await sse.ReadFrameAsync(TimeSpan.FromSeconds(10)) is { } frame)
        {
            rest.Add(frame);
        }
        await stop;
        // Kestrel would otherwise wait out its shutdown timeout for the open stream.
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"Stopping took {stopping.Elapsed}.");
        Assert.DoesNotContain(rest, f => f.Type == "stream_end");
    }
}
