using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Streaming;

/// <summary>Real stage and pipeline runs with the offline providers, started through the REST API and followed on their streams.</summary>
public sealed class SseEndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private const string Story =
        "In a small mountain village, an old clockmaker repaired every clock but his own. " +
        "One winter night a girl brought him a broken music box that had belonged to her mother. " +
        "He worked until dawn, and when the tune finally played, his own clock began to tick again.";

    [Fact]
    public async Task RealRewriteRunStreamsItsWholeRunAndAReconnectLosesNothing()
    {
        // A steady token pace, so the client can be cut off in the middle of the tokens.
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "40" });
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client, Story);

        using var start = await app.Client.PostAsync($"/api/v1/projects/{projectId}/stages/rewrite/run", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var streamUrl = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stream_url").GetString()!;
        Assert.Equal($"/api/v1/sse/projects/{projectId}/stages/rewrite/", streamUrl);

        // Connecting after the POST, without an id, still gets the run from its start.
        var first = await SseClient.OpenAsync(app.BaseAddress, streamUrl);
        Assert.Equal("text/event-stream; charset=utf-8", first.Response.Content.Headers.ContentType!.ToString());
        var connected = await first.ReadMessageAsync(Wait);
        Assert.Equal(("connected", 1000), (connected.Type, connected.Retry));
        var seen = new List<SseFrame>();
        while (seen.Count(f => f.Type == "token") < 2)
        {
            var frame = await first.ReadMessageAsync(Wait);
            Assert.True(frame.Type is not ("done" or "error"), $"The run ended before two tokens: {frame.Data}");
            seen.Add(frame);
        }
        await first.DisposeAsync();

        await using var second = await SseClient.OpenAsync(app.BaseAddress, streamUrl, lastEventId: seen[^1].Id);
        Assert.Equal("connected", (await second.ReadMessageAsync(Wait)).Type);
        var rest = await second.ReadToStreamEndAsync(Wait);
        var messages = seen.Concat(rest.SkipLast(1)).ToList();

        Assert.Equal(("stage_update", "queued"), (messages[0].Type, messages[0].Str("status")));
        Assert.Equal(("stage_update", "processing"), (messages[1].Type, messages[1].Str("status")));
        Assert.Equal("done", messages[^1].Type);
        Assert.Equal(("stage_update", "completed"), (messages[^2].Type, messages[^2].Str("status")));
        Assert.All(messages, m => Assert.Contains(m.Type, new[] { "stage_update", "token", "progress", "done" }));
        Assert.All(messages, m => Assert.Equal("rewrite", m.Str("stage")));
        var ids = messages.Select(m => m.IdNumber).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids.Order(), ids);
        Assert.True(ids[0] > connected.IdNumber);
        Assert.Equal(("stream_end", "done", ids[^1]), (rest[^1].Type, rest[^1].Str("message"), rest[^1].IdNumber));

        var tokens = messages.Where(m => m.Type == "token").ToList();
        Assert.True(tokens.Count > 2, $"Only {tokens.Count} tokens: the client was not cut off in the middle of them.");
        var streamed = string.Concat(tokens.Select(t => t.Str("content")));
        Assert.Equal(streamed, tokens[^1].Str("full_text"));

        var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        var stored = project.GetProperty("rewritten_text").GetString();
        Assert.False(string.IsNullOrWhiteSpace(stored));
        Assert.Equal(stored, streamed.Trim());
        Assert.Equal(stored, messages[^1].Str("full_text")!.Trim());

        // The run is over and this client saw its end: a reconnect is told to stop.
        using var after = await SseClient.SendAsync(app.BaseAddress, streamUrl, rest[^1].Id, app.Client);
        Assert.Equal(HttpStatusCode.NoContent, after.StatusCode);
    }
    [Fact]
    public async Task RealPipelineRunOnTheAllStagesStreamFromStartToPipelineDone()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Pipeline:Width"] = "320",
            ["Pipeline:Height"] = "180",
        });
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client, Story);

        using var start = await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var streamUrl = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stream_url").GetString()!;

        // The path existing front ends call; connected after the POST, it still starts at the pipeline's start.
        await using var sse = await SseClient.OpenAsync(app.BaseAddress, streamUrl.Replace("/api/v1/sse/", "/api/v1/projects/sse/"));
        Assert.Equal("*", Assert.Single(sse.Response.Headers.GetValues("Access-Control-Allow-Origin")));
        var messages = await sse.ReadToStreamEndAsync(TimeSpan.FromSeconds(90));

        Assert.Equal("connected", messages[0].Type);
        var events = messages.Skip(1).SkipLast(1).ToList();
        Assert.Equal(("pipeline", "stage_update", "processing"), (events[0].Str("stage"), events[0].Type, events[0].Str("status")));
        Assert.Equal(("pipeline", "pipeline_done"), (events[^1].Str("stage"), events[^1].Type));
        Assert.Equal(("stream_end", "pipeline_done"), (messages[^1].Type, messages[^1].Str("message")));
        Assert.Equal(events[^1].IdNumber, messages[^1].IdNumber);

        // The stream survives each stage's done: the five stages follow each other, each from queued to done,
        // and each done is followed at once by the stage_completed the origin system's page waits for.
        var stages = new[] { "rewrite", "storyboard", "image_generation", "camera_movement", "video_generation" };
        Assert.Equal(stages, events.Where(e => e.Type == "done").Select(e => e.Str("stage")));
        Assert.Equal(stages, events.Where(e => e.Type == "stage_completed").Select(e => e.Str("stage")));
        Assert.Equal(stages, events.Where(e => e.Str("stage") != "pipeline").Select(e => e.Str("stage")).Distinct());
        foreach (var stage in stages)
        {
            var ofStage = events.Where(e => e.Str("stage") == stage).ToList();
            Assert.Equal(("stage_update", "queued"), (ofStage[0].Type, ofStage[0].Str("status")));
            Assert.Equal(["done", "stage_completed"], ofStage[^2..].Select(e => e.Type));
            var completed = ofStage[^1].Json;
            Assert.Equal(events.IndexOf(ofStage[^2]) + 1, events.IndexOf(ofStage[^1]));
            Assert.Equal(projectId, completed.GetProperty("project_id").GetString());
            Assert.Equal($"Stage {stage} completed", completed.GetProperty("message").GetString());
            Assert.True(completed.GetProperty("timestamp").GetDouble() >= ofStage[^2].Json.GetProperty("timestamp").GetDouble());
        }

        // The storyboard's done carries the text its tokens streamed (the origin's page shows it in their place),
        // and still its short result.
        var storyboardTokens = events.Where(e => e.Type == "token" && e.Str("stage") == "storyboard").ToList();
        Assert.NotEmpty(storyboardTokens);
        var storyboardDone = events.Single(e => e.Type == "done" && e.Str("stage") == "storyboard");
        Assert.Equal(string.Concat(storyboardTokens.Select(t => t.Str("content"))), storyboardDone.Str("full_text"));
        Assert.Equal(storyboardTokens[^1].Str("full_text"), storyboardDone.Str("full_text"));
        Assert.EndsWith(" shots", storyboardDone.Str("result"));
        Assert.Contains(events, e => e.Type == "item_completed" && e.Str("stage") == "image_generation");

        var ids = events.Select(e => e.IdNumber).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids.Order(), ids);
        Assert.True(ids[0] > messages[0].IdNumber);

        var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal($"{project.GetProperty("shots").GetArrayLength()} shots", storyboardDone.Str("result"));
        Assert.Equal(project.GetProperty("shots").GetArrayLength(),
            events.Count(e => e.Type == "item_completed" && e.Str("stage") == "storyboard"));
        var rewriteTokens = events.Where(e => e.Type == "token" && e.Str("stage") == "rewrite").ToList();
        Assert.Equal(project.GetProperty("rewritten_text").GetString(), rewriteTokens[^1].Str("full_text")!.Trim());

        using var after = await SseClient.SendAsync(app.BaseAddress, streamUrl, messages[^1].Id, app.Client);
        Assert.Equal(HttpStatusCode.NoContent, after.StatusCode);
    }
}
