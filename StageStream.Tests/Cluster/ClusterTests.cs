using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using StageStream.Tests.Browser;
using StageStream.Tests.Crash;
using StageStream.Tests.Infrastructure;
using StageStream.Tests.Streaming;
using Xunit.Abstractions;

namespace StageStream.Tests.Cluster;

/// <summary>
/// Two hosts on PostgreSQL (clustered Quartz), Redis and a shared media folder, behind nginx with the shipped
/// configuration (see <see cref="ClusterFixture"/>): work started on one host is watched and served from the other,
/// a host killed in the middle of a stage has its run finished by the other, and nginx streams and serves the pages.
/// </summary>
[Collection(ClusterFixture.Collection)]
public sealed class ClusterTests(ClusterFixture cluster, UiBrowser browser, ITestOutputHelper output)
    : IClassFixture<ClusterFixture>, IClassFixture<UiBrowser>
{
    private const string Story = """
        The old lighthouse keeper climbed the stairs at dusk. The storm was coming fast. He lit the great lamp and
        watched the sea. A small boat fought the waves below the cliffs. At dawn the boat was safe in the harbour.
        """;

    private const string LongStory = """
        The old lighthouse keeper climbed the stairs at dusk. The storm was coming fast. He lit the great lamp and
        watched the sea. A small boat fought the waves below the cliffs. Its sail was torn and its lantern swung
        wildly. The keeper rang the bell again and again. The boat turned towards the sound. Rain hammered the glass
        of the lantern room. A gull sheltered on the railing and would not leave. The keeper made tea on the small
        stove and kept watching. Near midnight the wind changed direction. The boat slipped past the last rocks.
        At dawn the boat was safe in the harbour, and the keeper finally slept.
        """;

    private static readonly TimeSpan PipelineTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task APipelineStartedOnAIsWatchedFromBToTheEndAndItsFilmPlaysFromEitherHostAndThroughNginx()
    {
        try
        {
            var projectId = await CreateProjectAsync(cluster.A.Client, targetShots: 2);
            var stream = $"/api/v1/sse/projects/{projectId}/";
            await using var watcher = ResumingWatcher.Start(cluster.B.BaseAddress, stream);
            await StreamTestSupport.WaitUntilAsync(() => watcher.Connections > 0, TimeSpan.FromSeconds(10), "B's client is connected");
            (await cluster.A.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)).EnsureSuccessStatusCode();

            await StreamTestSupport.WaitUntilAsync(() => watcher.EndReason is not null, PipelineTimeout, $"the stream on B ends ({watcher})");
            Assert.Equal("pipeline_done", watcher.EndReason);
            AssertEachOnceInOrder(watcher.Events);
            foreach (var stage in new[] { "rewrite", "storyboard", "image_generation", "camera_movement", "video_generation" })
            {
                Assert.Single(watcher.Events, e => e.Type == "done" && e.Str("stage") == stage);
            }

            var project = await cluster.B.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
            Assert.Equal("completed", project.GetProperty("status").GetString());
            var film = project.GetProperty("final_video_url").GetString()!;
            var whole = await cluster.A.Client.GetByteArrayAsync(film);
            Assert.True(whole.Length > 1000, $"the film has {whole.Length} bytes");
            using var viaNginx = new HttpClient { BaseAddress = cluster.Nginx.BaseAddress };
            foreach (var client in new[] { cluster.A.Client, cluster.B.Client, viaNginx })
            {
                // A player seeking: a range, answered 206 with exactly those bytes of the one file in the shared store.
                using var request = new HttpRequestMessage(HttpMethod.Get, film) { Headers = { Range = new RangeHeaderValue(100, 1099) } };
                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
                Assert.Equal("video/mp4", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(whole[100..1100], await response.Content.ReadAsByteArrayAsync());
            }
            Assert.True(File.Exists(Path.Combine(cluster.Media.Path, film["/media/".Length..])), "the film is in the shared media folder");

            foreach (var app in cluster.Instances)
            {
                var health = await app.Client.GetFromJsonAsync<JsonElement>("/health");
                output.WriteLine(health.ToString());
                Assert.Equal("Healthy", health.GetProperty("status").GetString());
                Assert.Equal("postgresql", Check(health, "database").GetProperty("data").GetProperty("provider").GetString());
                Assert.Equal("2", Check(health, "cluster").GetProperty("data").GetProperty("instances").GetString());
                Assert.Equal("Healthy", Check(health, "redis").GetProperty("status").GetString());
                Assert.Equal("True", Check(health, "media_store").GetProperty("data").GetProperty("shared").GetString());
            }
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
    }

    [Fact]
    public async Task KillingTheHostThatRunsImageGenerationLetsTheOtherFinishTheRunAndClientsGetEveryEventOnce()
    {
        var projectId = await CreateProjectAsync(cluster.B.Client, targetShots: 5);
        var stream = $"/api/v1/sse/projects/{projectId}/";
        await using var onA = ResumingWatcher.Start(cluster.A.BaseAddress, stream);
        await using var onB = ResumingWatcher.Start(cluster.B.BaseAddress, stream);
        await using var viaNginx = ResumingWatcher.Start(cluster.Nginx.BaseAddress, stream);
        AppProcess? killed = null;
        try
        {
            await StreamTestSupport.WaitUntilAsync(() => onA.Connections > 0 && onB.Connections > 0 && viaNginx.Connections > 0,
                TimeSpan.FromSeconds(10), "the clients are connected");
            (await cluster.A.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)).EnsureSuccessStatusCode();
            await StreamTestSupport.WaitUntilAsync(
                () => onA.Events.Any(e => e.Str("stage") == "image_generation" && e.Type is "progress" or "item_completed"),
                PipelineTimeout, "image_generation is at work");
            var started = $"Stage image_generation of project {projectId} started";
            // The child's log line comes through its output reader, which may lag the events a little.
            await StreamTestSupport.WaitUntilAsync(() => cluster.Instances.Any(app => app.Log().Contains(started, StringComparison.Ordinal)),
                TimeSpan.FromSeconds(10), "the executing host's log says it started image_generation");
            var executor = cluster.Instances.Single(app => app.Log().Contains(started, StringComparison.Ordinal));
            var survivor = cluster.Other(executor);
            var watcher = executor == cluster.A ? onB : onA;
            await executor.KillAsync();
            killed = executor;
            var clock = Stopwatch.StartNew();
            output.WriteLine($"killed {(executor == cluster.A ? "A" : "B")} during image_generation after {watcher.Events.Count} events");

            // The stage the kill cut off: image_generation, or the next one if the images (a fraction of a second for five
            // offline frames) were done by the time of the kill.
            await StreamTestSupport.WaitUntilAsync(
                () => watcher.Events.Any(e => e.Type == "stage_update" && e.Str("status") == "interrupted"),
                TimeSpan.FromSeconds(30), "the survivor takes the run over");
            var cutOff = watcher.Events.First(e => e.Type == "stage_update" && e.Str("status") == "interrupted").Str("stage");
            output.WriteLine($"the run resumed on the other host {clock.Elapsed.TotalSeconds:0.0} s after the kill, with {cutOff}");
            await StreamTestSupport.WaitUntilAsync(() => watcher.EndReason is not null && viaNginx.EndReason is not null, PipelineTimeout,
                $"the streams end ({watcher}; {viaNginx})");
            Assert.Equal("pipeline_done", watcher.EndReason);
            Assert.Equal("pipeline_done", viaNginx.EndReason);
            Assert.Contains($"Stage {cutOff} of project {projectId} started", survivor.Log());

            // Every event once and in order, on the survivor and through nginx (which moved to the survivor).
            AssertEachOnceInOrder(watcher.Events);
            AssertEachOnceInOrder(viaNginx.Events);
            var replay = await ReplayAsync(survivor.BaseAddress, stream);
            var stored = replay.ToDictionary(f => f.IdNumber, f => f.Data);
            foreach (var frame in watcher.Events.Concat(viaNginx.Events))
            {
                Assert.True(stored.TryGetValue(frame.IdNumber, out var data), $"id {frame.IdNumber} ({frame.Type}) a client received is not stored");
                Assert.Equal(data, frame.Data);
            }
            Assert.Equal(replay.Select(f => f.Id), watcher.Events.Select(f => f.Id));

            // The interrupted run ended on the wire, and a second attempt did the stage.
            var stageEvents = watcher.Events.Where(e => e.Str("stage") == cutOff).ToList();
            var interrupted = Assert.Single(stageEvents, e => e.Type == "stage_update" && e.Str("status") == "interrupted");
            var retry = stageEvents.SkipWhile(e => e != interrupted).First(e => e.Type == "stage_update" && e.Str("status") == "processing");
            Assert.Equal(2, retry.Json.GetProperty("attempt").GetInt32());
            Assert.Single(stageEvents, e => e.Type == "done");

            // The text the client assembled from the rewrite's tokens is the one stored.
            var project = await survivor.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
            Assert.Equal("completed", project.GetProperty("status").GetString());
            var rewrite = watcher.Events.Where(e => e.Str("stage") == "rewrite" && e.Type == "token").Select(e => e.Str("content"));
            Assert.Equal(project.GetProperty("rewritten_text").GetString(), string.Concat(rewrite));
            Assert.Empty(Directory.GetFiles(cluster.Media.Path, "*.part", SearchOption.AllDirectories));
        }
        catch
        {
            output.WriteLine($"{onA}\n{onB}\n{viaNginx}");
            output.WriteLine(cluster.Logs());
            throw;
        }
        finally
        {
            if (killed is not null)
            {
                await cluster.RestartAsync(killed);
            }
        }
    }

    [Fact]
    public async Task ThroughNginxAnEventStreamReceivesEachTokenAsItIsPublished()
    {
        using var client = new HttpClient { BaseAddress = cluster.Nginx.BaseAddress };
        var projectId = await CreateProjectAsync(client, targetShots: 0, text: LongStory);
        var path = $"/api/v1/sse/projects/{projectId}/stages/rewrite/";
        await using var viaNginx = await SseClient.OpenAsync(cluster.Nginx.BaseAddress, path);
        await using var direct = await SseClient.OpenAsync(cluster.A.BaseAddress, path);
        Assert.Equal("text/event-stream", viaNginx.Response.Content.Headers.ContentType?.MediaType);
        (await client.PostAsync($"/api/v1/projects/{projectId}/stages/rewrite/run", null)).EnsureSuccessStatusCode();

        var tokens = await Task.WhenAll(TokenArrivalsAsync(viaNginx), TokenArrivalsAsync(direct));
        var (proxied, local) = (tokens[0], tokens[1]);
        // 100 tokens a second: the stream lasts over a second, and through nginx the tokens arrive spread out as they
        // do directly, not in a burst when the stage ends.
        Assert.True(proxied.Count >= 60, $"{proxied.Count} tokens");
        Assert.Equal(local.Select(t => t.Id), proxied.Select(t => t.Id));
        var published = proxied[^1].Published - proxied[0].Published;
        output.WriteLine($"{proxied.Count} tokens published over {published:0.00} s; through nginx received over {proxied[^1].Received - proxied[0].Received:0.00} s, " +
            $"directly over {local[^1].Received - local[0].Received:0.00} s; the middle token through nginx {(proxied[proxied.Count / 2].Received - local[proxied.Count / 2].Received) * 1000:0} ms after directly");
        // Compared with the direct stream, which a stalled (loaded) server delays just as much.
        Assert.True(proxied[^1].Received - proxied[0].Received > 0.5 * Math.Min(published, local[^1].Received - local[0].Received),
            "through nginx the tokens arrived in a burst");
        Assert.True(proxied[proxied.Count / 2].Received < local[^1].Received,
            "through nginx the middle token arrived only after the last one arrived directly");
    }

    /// <summary>Each token's id, the time it was published (its timestamp) and when it was read here, until the stage's run ends.</summary>
    private static async Task<List<(string? Id, double Published, double Received)>> TokenArrivalsAsync(SseClient sse)
    {
        var tokens = new List<(string? Id, double Published, double Received)>();
        while (await sse.ReadFrameAsync(TimeSpan.FromSeconds(30)) is { } frame)
        {
            if (frame.Type == "token")
            {
                tokens.Add((frame.Id, frame.Json.GetProperty("timestamp").GetDouble(), Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency));
            }
            if (frame.Type is "done" or "stream_end" or "error")
            {
                break;
            }
        }
        return tokens;
    }

    [Fact]
    public async Task ThroughNginxABlazorPageRunsItsCircuitOverAWebSocket()
    {
        using var client = new HttpClient { BaseAddress = cluster.Nginx.BaseAddress };
        var projectId = await CreateProjectAsync(client, targetShots: 0, name: "Through nginx");
        var errors = new List<string>();
        var page = await browser.NewPageAsync(cluster.Nginx.BaseAddress, errors);
        var sockets = new List<string>();
        page.WebSocket += (_, socket) => { lock (sockets) { sockets.Add(socket.Url); } };
        try
        {
            await UiBrowser.GotoInteractiveAsync(page, $"/projects/{projectId}");
            await page.Locator("[data-testid=project-name]", new() { HasText = "Through nginx" }).WaitForAsync();
            lock (sockets)
            {
                Assert.Contains(sockets, url => url.StartsWith($"ws://127.0.0.1:{cluster.Nginx.BaseAddress.Port}/_blazor", StringComparison.Ordinal));
            }
            // A click travels over the circuit: the pipeline starts.
            await page.ClickAsync("[data-testid=run-all]");
            await StreamTestSupport.WaitUntilAsync(() => StatusAsync(client, projectId).Result != "draft", TimeSpan.FromSeconds(15), "the click starts the pipeline");
            Assert.Empty(errors);
        }
        finally
        {
            await client.PostAsync($"/api/v1/projects/{projectId}/cancel", null);
            await page.Context.CloseAsync();
        }
    }

    private static async Task<string?> StatusAsync(HttpClient client, string projectId) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}")).GetProperty("status").GetString();

    private static async Task<string> CreateProjectAsync(HttpClient client, int targetShots, string name = "Cluster", string text = Story)
    {
        object body = targetShots > 0
            ? new { name, original_text = text, target_shots = targetShots }
            : new { name, original_text = text };
        var response = await client.PostAsJsonAsync("/api/v1/projects", body);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<List<SseFrame>> ReplayAsync(Uri baseAddress, string path)
    {
        await using var client = await SseClient.OpenAsync(baseAddress, path, lastEventId: "0");
        var frames = await client.ReadToStreamEndAsync(TimeSpan.FromSeconds(30));
        return frames.Where(f => f.Type is not ("connected" or "stream_end")).ToList();
    }

    private static void AssertEachOnceInOrder(IReadOnlyList<SseFrame> events)
    {
        Assert.NotEmpty(events);
        for (var i = 1; i < events.Count; i++)
        {
            Assert.True(events[i].IdNumber > events[i - 1].IdNumber, $"id {events[i].IdNumber} ({events[i].Type}) follows {events[i - 1].IdNumber}");
        }
    }

    private static JsonElement Check(JsonElement health, string name) =>
        health.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
}
