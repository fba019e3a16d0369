using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using StageStream.Core.Events;
using StageStream.Core.Projects;
using StageStream.Core.Providers;
using StageStream.Tests.Infrastructure;
using static StageStream.Tests.OpenAI.FakeVendorServer;

namespace StageStream.Tests.OpenAI;

/// <summary>The real app, configured for the openai providers against the fake vendor, driven through the REST API.</summary>
public sealed class AppPipelineTests
{
    private static Task<TestApp> StartAppAsync(FakeVendorServer server, params string[] openaiStages)
    {
        var settings = ProviderHost.Settings(server);
        settings["Pipeline:Width"] = "320";
        settings["Pipeline:Height"] = "180";
        // The stand-in hands its scripted video jobs out in the order they are submitted: one shot at a time.
        settings["Pipeline:ShotConcurrency"] = "1";
        foreach (var stage in openaiStages)
        {
            settings[$"Stages:{stage}:Provider"] = "openai";
        }
        return TestApp.StartAsync(settings);
    }

    private static async Task<string> CreateProjectAsync(TestApp app, string text)
    {
        var response = await app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "Dragon", original_text = text });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString();
    }

    [Fact]
    public async Task RewriteTokensArriveAsEventsBeforeTheStageEnds()
    {
        await using var server = await StartAsync();
        var enoughSeen = new TaskCompletionSource();
        var deltas = new[] { "夜", "里，", "龙", "醒了。" };
        // The vendor holds its last token until the test has seen two token events: they cannot have come with the end.
        server.ChatReplies.Enqueue(SseWrites(deltas.Select(d => Encoding.UTF8.GetBytes(ChunkFrame(d))),
            index => index == deltas.Length ? enoughSeen.Task.WaitAsync(TimeSpan.FromSeconds(20)) : Task.CompletedTask));
        await using var app = await StartAppAsync(server, "rewrite");
        var id = await CreateProjectAsync(app, "A dragon sleeps under the town.");
        await using var subscription = await app.Service<IEventSubscriptions>().SubscribeAsync(id, "rewrite", null, CancellationToken.None);

        var run = await app.Client.PostAsync($"/api/v1/projects/{id}/stages/rewrite/run", null);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        var events = new List<DeliveredEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var delivered in subscription.ReadAllAsync(timeout.Token))
        {
            events.Add(delivered);
            if (events.Count(e => e.Type == EventTypes.Token) == 2)
            {
                Assert.DoesNotContain(events, e => e.Type is EventTypes.Done or EventTypes.Error);
                enoughSeen.SetResult();
            }
        }

        Assert.True(enoughSeen.Task.IsCompleted, "two token events were seen while the vendor was still streaming");
        var tokens = events.Where(e => e.Type == EventTypes.Token).ToList();
        Assert.Equal(deltas, tokens.Select(t => t.Event.Content));
        Assert.Equal("夜里，龙醒了。", tokens[^1].FullText);
        var done = Assert.Single(events, e => e.Type == EventTypes.Done);
        Assert.True(tokens[^1].Id < done.Id);
        Assert.Equal("夜里，龙醒了。", done.Event.FullText);
        var project = await app.Client.GetFromJsonAsync<JsonObject>($"/api/v1/projects/{id}");
        Assert.Equal("夜里，龙醒了。", project!["rewritten_text"]!.ToString());
        Assert.Equal("openai", project["rewrite_provider"]!.ToString());
    }

    [Fact]
    public async Task RejectedKeyFailsTheStageWithAnErrorThatSaysSo()
    {
        await using var server = await StartAsync();
        var settings = ProviderHost.Settings(server);
        settings["Providers:OpenAI:ApiKey"] = "sk-wrong-0000000000000000";
        settings["Stages:rewrite:Provider"] = "openai";
        await using var app = await TestApp.StartAsync(settings);
        var id = await CreateProjectAsync(app, "A dragon sleeps under the town.");
        await using var subscription = await app.Service<IEventSubscriptions>().SubscribeAsync(id, "rewrite", null, CancellationToken.None);

        await app.Client.PostAsync($"/api/v1/projects/{id}/stages/rewrite/run", null);
        var events = await ReadAllAsync(subscription);

        var failure = Assert.Single(events, e => e.Type == EventTypes.Error).Event;
        var error = failure.Error!;
        Assert.Contains("The API key for Providers:OpenAI was rejected (401)", error);
        Assert.DoesNotContain("sk-wrong-0000000000000000", error);
        // Its stable code, for the pages to say it in the reader's language: in the event and in the API beside the detail.
        var code = CodedError.FromMetadata(failure.Metadata)!;
        Assert.Equal("provider_key_rejected", code.Code);
        Assert.Equal([server.Root.Authority, "401"], code.Args);
        var project = await app.Client.GetFromJsonAsync<JsonObject>($"/api/v1/projects/{id}");
        Assert.Contains("rejected (401)", project!["stages"]![0]!["error"]!.ToString());
        Assert.Equal("provider_key_rejected", project["stages"]![0]!["error_code"]!["code"]!.ToString());
        var runs = await app.Client.GetFromJsonAsync<JsonArray>($"/api/v1/projects/{id}/runs");
        Assert.Equal("provider_key_rejected", runs!.Single()!["error_code"]!["code"]!.ToString());
    }

    [Fact]
    public async Task WholePipelineOnTheVendorWithVideoProgressAndARetryOfTheFailedShotOnly()
    {
        await using var server = await StartAsync();
        server.VideoBytes = await TinyMp4Async();
        const string storyboard =
            """{"scenes":[{"narration":"The dragon wakes.","visual_prompt":"A dragon in a cave","shot_type":"close-up","duration":3},""" +
            """{"narration":"It flies.","visual_prompt":"A dragon over roofs","shot_type":"wide","duration":4},""" +
            """{"narration":"The town looks up.","visual_prompt":"People looking up","shot_type":"medium","duration":3}]}""";
        server.ChatReplies.Enqueue(Sse("The dragon", " wakes and flies."));
        server.ChatReplies.Enqueue(Sse(storyboard[..50], storyboard[50..]));
        server.ChatReplies.Enqueue(Sse("""{"move":"push_in","description":"Closes in on the eye."}"""));
        server.ChatReplies.Enqueue(Sse("The camera pans right with the flight."));
        server.ChatReplies.Enqueue(Sse("""{"move":"tilt_up","description":"Up to the sky."}"""));
        server.ImageReplies.Enqueue(ImageB64(Jpeg(512, 512, 0xFF3050A0)));
        server.ImageReplies.Enqueue(server.ImageUrl(Png(400, 300, 0xFFA05030)));
        server.ImageReplies.Enqueue(ImageB64(Png(256, 144, 0xFF30A050)));
        server.VideoScripts.Enqueue([State("queued", 0), State("in_progress", 30), State("in_progress", 60), State("completed", 100)]);
        server.VideoScripts.Enqueue([State("queued", 0), State("in_progress", 20), State("failed", error: "Shot 2 was refused by the moderation")]);
        server.VideoScripts.Enqueue([State("queued", 0), State("completed", 100)]);
        await using var app = await StartAppAsync(server, "rewrite", "storyboard", "image_generation", "camera_movement", "video_generation");
        var id = await CreateProjectAsync(app, "A dragon sleeps under the town. One day it wakes.");
        var subscriptions = app.Service<IEventSubscriptions>();

        long lastId;
        await using (var all = await subscriptions.SubscribeAsync(id, null, null, CancellationToken.None))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/api/v1/projects/{id}/pipeline/run", null)).StatusCode);
            var events = await ReadAllAsync(all);

            Assert.Contains(events, e => e.Type == EventTypes.Token && e.Event.Stage == "rewrite");
            Assert.Contains(events, e => e.Type == EventTypes.Token && e.Event.Stage == "storyboard");
            Assert.Equal(3, events.Count(e => e.Type == EventTypes.ItemCompleted && e.Event.ItemType == "image"));
            var vendorProgress = events.Where(e => e.Type == EventTypes.Progress && e.Event.Stage == "video_generation" && e.Event.Message!.Contains('%'))
                .Select(e => (e.Event.Message, e.Event.Current, e.Event.Total)).ToList();
            Assert.Equal([("video 1/3 (shot 1): 30%", 0, 3), ("video 1/3 (shot 1): 60%", 0, 3), ("video 2/3 (shot 2): 20%", 1, 3)], vendorProgress);
            var pipelineFailure = Assert.Single(events, e => e.Type == EventTypes.PipelineError).Event;
            var pipelineError = pipelineFailure.Error!;
            Assert.Contains("shot 2 failed", pipelineError);
            Assert.Contains("moderation", pipelineError);
            // Coded all the way down, for the pages: the stage failed because shot 2 failed because the vendor's job failed.
            var code = CodedError.FromMetadata(pipelineFailure.Metadata)!;
            Assert.Equal(("stage_failed", "video_generation"), (code.Code, code.Args.Single()));
            Assert.Equal(("shots_failed", "2"), (code.Cause!.Code, code.Cause.Args.Single()));
            Assert.Equal(new[] { server.Root.Authority, "failed" }, code.Cause.Cause!.Args);
            Assert.Equal("provider_video_failed", code.Cause.Cause.Code);
            lastId = events[^1].Id;
        }

        var project = (await app.Client.GetFromJsonAsync<JsonObject>($"/api/v1/projects/{id}"))!;
        var shots = project["shots"]!.AsArray();
        Assert.Equal(["push_in", "pan_right", "tilt_up"], shots.Select(s => s!["camera_move"]!.ToString()));
        Assert.Equal("The camera pans right with the flight.", shots[1]!["camera_description"]!.ToString());
        foreach (var shot in shots)
        {
            var png = await app.Client.GetByteArrayAsync(shot!["image_url"]!.ToString());
            using var bitmap = SkiaSharp.SKBitmap.Decode(png);
            Assert.Equal((320, 180), (bitmap.Width, bitmap.Height));
            Assert.Equal(0x89, png[0]);
        }
        Assert.NotNull(shots[0]!["clip_url"]);
        Assert.Null(shots[1]!["clip_url"]);
        Assert.Equal("provider_video_failed", shots[1]!["error_code"]!["code"]!.ToString());
        Assert.Contains("moderation", shots[1]!["error"]!.ToString());
        Assert.Equal(3, server.Jobs.Count);

        // A plain re-run retries only the failed shot.
        server.VideoScripts.Enqueue([State("queued", 0), State("in_progress", 50), State("completed", 100)]);
        await using (var video = await subscriptions.SubscribeAsync(id, "video_generation", lastId, CancellationToken.None))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/api/v1/projects/{id}/stages/video_generation/run", null)).StatusCode);
            var events = await ReadAllAsync(video);
            Assert.Single(events, e => e.Type == EventTypes.Done);
            Assert.Contains(events, e => e.Type == EventTypes.Progress && e.Event.Message == "video 1/1 (shot 2): 50%");
        }
        Assert.Equal(4, server.Jobs.Count);
        Assert.Contains("seconds", server.Jobs["job_4"].Fields.Keys);
        project = (await app.Client.GetFromJsonAsync<JsonObject>($"/api/v1/projects/{id}"))!;
        Assert.All(project["shots"]!.AsArray(), s => Assert.NotNull(s!["clip_url"]));
        Assert.NotNull(project["final_video_url"]);
    }

    /// <summary>Reads a subscription to the end of its stream.</summary>
    private static async Task<List<DeliveredEvent>> ReadAllAsync(EventSubscription subscription)
    {
        var events = new List<DeliveredEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await foreach (var delivered in subscription.ReadAllAsync(timeout.Token))
            {
                events.Add(delivered);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Assert.Fail("The stream did not end. Events: " + string.Join("\n", events.Select(e => $"{e.Event.Stage} {e.Type} {e.Event.Status} {e.Event.Message} {e.Event.Error}")));
        }
        return events;
    }

    private static async Task<byte[]> TinyMp4Async()
    {
        var path = Path.Combine(Path.GetTempPath(), $"stagestream-clip-{Guid.NewGuid():N}.mp4");
        using var ffmpeg = Process.Start(new ProcessStartInfo("ffmpeg",
            ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=blue:s=320x180:r=25:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y", path]))!;
        await ffmpeg.WaitForExitAsync();
        Assert.Equal(0, ffmpeg.ExitCode);
        var bytes = await File.ReadAllBytesAsync(path);
        File.Delete(path);
        return bytes;
    }
}
