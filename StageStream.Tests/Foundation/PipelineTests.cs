using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Foundation;

/// <summary>A story becomes a storyboard, frames, clips and a film, offline, with every step published.</summary>
public sealed class PipelineTests
{
    internal const string Story =
        "The old lighthouse keeper climbed the stairs at dusk.  the storm was coming fast!\n" +
        "He lit the great lamp and watched the sea. A small boat fought the waves. " +
        "At dawn the boat was safe in the harbour, and the keeper finally slept.";

    internal static readonly Dictionary<string, string?> SmallFrames = new()
    {
        ["Pipeline:Width"] = "320",
        ["Pipeline:Height"] = "180",
    };

    internal static async Task<string> CreateProjectAsync(TestApp app, string text = Story)
    {
        var response = await app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "Lighthouse", original_text = text });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task PipelineRunTurnsAStoryIntoAFilmAndPublishesEveryStep()
    {
        await using var app = await TestApp.StartAsync(SmallFrames);
        var projectId = await CreateProjectAsync(app);
        await using var recorder = await EventRecorder.StartAsync(app, projectId);

        var run = await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        var accepted = await run.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"/api/v1/sse/projects/{projectId}/", accepted.GetProperty("stream_url").GetString());
        await recorder.WaitForEndAsync(TimeSpan.FromMinutes(3));

        var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal("completed", project.GetProperty("status").GetString());
        var rewritten = project.GetProperty("rewritten_text").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(rewritten));
        Assert.NotEqual(Story.Trim(), rewritten);
        Assert.Equal("offline", project.GetProperty("rewrite_provider").GetString());

        var shots = project.GetProperty("shots").EnumerateArray().ToList();
        Assert.True(shots.Count >= 2, $"expected at least 2 shots, got {shots.Count}");
        foreach (var shot in shots)
        {
            var image = await app.Client.GetAsync(shot.GetProperty("image_url").GetString());
            Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
            Assert.True(Media.IsPng(await image.Content.ReadAsByteArrayAsync()));
            Assert.Equal("offline", shot.GetProperty("image_provider").GetString());
            Assert.False(string.IsNullOrWhiteSpace(shot.GetProperty("camera_move").GetString()));
            var clip = await app.Client.GetAsync(shot.GetProperty("clip_url").GetString());
            Assert.Equal("video/mp4", clip.Content.Headers.ContentType?.MediaType);
        }
        var film = await app.Client.GetAsync(project.GetProperty("final_video_url").GetString());
        Assert.Equal("video/mp4", film.Content.Headers.ContentType?.MediaType);
        var filmPath = Path.Combine(Path.GetTempPath(), $"film-{projectId}.mp4");
        await File.WriteAllBytesAsync(filmPath, await film.Content.ReadAsByteArrayAsync());
        var expected = shots.Sum(s => s.GetProperty("duration").GetDouble());
        Assert.InRange(await Media.DurationAsync(filmPath), expected - 0.5, expected + 0.5);
        Assert.Equal(("h264", "yuv420p"), await Media.VideoFormatAsync(filmPath));
        File.Delete(filmPath);

        AssertEventsTellTheRun(recorder.Events, projectId, rewritten, shots.Count);
    }

    private static void AssertEventsTellTheRun(IReadOnlyList<DeliveredEvent> events, string projectId, string rewritten, int shotCount)
    {
        Assert.All(events, e =>
        {
            Assert.Equal(projectId, e.Event.ProjectId);
            Assert.False(string.IsNullOrEmpty(e.Event.Stage));
            Assert.True(e.Event.Timestamp > 1_700_000_000);
        });
        Assert.Equal(events.Select(e => e.Id).Order(), events.Select(e => e.Id));
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());

        // The outline of the run: each stage queued, processing, completed, done, in pipeline order.
        var outline = events.Where(e => e.Type is EventTypes.StageUpdate or EventTypes.Done or EventTypes.PipelineDone)
            .Select(e => $"{e.Event.Stage}:{e.Type}:{e.Event.Status}").ToList();
        var expected = new List<string> { "pipeline:stage_update:processing" };
        foreach (var stage in new[] { "rewrite", "storyboard", "image_generation", "camera_movement", "video_generation" })
        {
            expected.AddRange([$"{stage}:stage_update:queued", $"{stage}:stage_update:processing", $"{stage}:stage_update:completed", $"{stage}:done:"]);
        }
        expected.Add("pipeline:pipeline_done:");
        Assert.Equal(expected, outline);

        // Tokens came one by one, before the rewrite was done, and add up to its text.
        var rewrite = events.Where(e => e.Event.Stage == "rewrite").ToList();
        var tokens = rewrite.Where(e => e.Type == EventTypes.Token).ToList();
        Assert.True(tokens.Count > 5, $"only {tokens.Count} tokens");
        Assert.True(rewrite.IndexOf(tokens[^1]) < rewrite.FindIndex(e => e.Type == EventTypes.Done));
        Assert.Equal(rewritten, string.Concat(tokens.Select(t => t.Event.Content)).Trim());
        Assert.Equal(string.Concat(tokens.Select(t => t.Event.Content)), tokens[^1].FullText);
        var done = rewrite.Single(e => e.Type == EventTypes.Done);
        Assert.Equal(rewritten, done.Event.FullText!.Trim());

        // Media stages report progress per shot and an item per shot.
        foreach (var (stage, item) in new[] { ("image_generation", "image"), ("camera_movement", "camera"), ("video_generation", "video") })
        {
            var progress = events.Where(e => e.Event.Stage == stage && e.Type == EventTypes.Progress).ToList();
            Assert.NotEmpty(progress);
            Assert.All(progress, p => Assert.Equal(shotCount, p.Event.Total));
            Assert.Equal(100, progress[^1].Event.Progress);
            var items = events.Where(e => e.Event.Stage == stage && e.Type == EventTypes.ItemCompleted && e.Event.ItemType == item).ToList();
            // Shots are worked on several at once, so their items may finish out of order; each comes once.
            Assert.Equal(Enumerable.Range(1, shotCount), items.Select(i => i.Event.SequenceNumber!.Value).Order());
        }
        Assert.Contains(events, e => e.Type == EventTypes.ItemCompleted && e.Event.ItemType == "film");
    }

    [Fact]
    public async Task CancelStopsARunningStageWithinTwoSeconds()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "20" });
        var projectId = await CreateProjectAsync(app);
        await using var recorder = await EventRecorder.StartAsync(app, projectId, "rewrite");
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)).StatusCode);
        await recorder.WaitForAsync(e => e.Type == EventTypes.Token, TimeSpan.FromSeconds(30));

        var requested = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/api/v1/projects/{projectId}/cancel", null)).StatusCode);
        await recorder.WaitForEndAsync(TimeSpan.FromSeconds(10));

        var last = recorder.Events[^1];
        Assert.Equal((EventTypes.StageUpdate, "cancelled"), (last.Type, last.Event.Status));
        // Timed by the server's own stamp on the cancelled event: how late this test reads it does not count.
        var elapsed = DateTimeOffset.FromUnixTimeMilliseconds((long)(last.Event.Timestamp * 1000)) - requested;
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"cancel took {elapsed}");
        var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal("cancelled", project.GetProperty("status").GetString());
        Assert.Equal("cancelled", project.GetProperty("stages")[0].GetProperty("status").GetString());
        Assert.Equal("pending", project.GetProperty("stages")[1].GetProperty("status").GetString());
    }

    [Fact]
    public async Task OfSimultaneousPipelineStartsExactlyOneIsAccepted()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "20" });
        var projectId = await CreateProjectAsync(app);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Accepted), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        await app.Client.PostAsync($"/api/v1/projects/{projectId}/cancel", null);
    }

    [Fact]
    public async Task RunningAStageThatIsAlreadyRunningIs409AndChangesNothing()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "20" });
        var projectId = await CreateProjectAsync(app);
        await using var recorder = await EventRecorder.StartAsync(app, projectId, "rewrite");
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/api/v1/projects/{projectId}/stages/rewrite/run", null)).StatusCode);
        var first = await recorder.WaitForAsync(e => e.Type == EventTypes.Token, TimeSpan.FromSeconds(30));

        await BadInputTests.AssertProblemAsync(await app.Client.PostAsync($"/api/v1/projects/{projectId}/stages/rewrite/run", null), 409, "rewrite");
        await BadInputTests.AssertProblemAsync(await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null), 409, "rewrite");

        var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal(first.Event.RunId, project.GetProperty("stages")[0].GetProperty("run_id").GetString());
        await app.Client.PostAsync($"/api/v1/projects/{projectId}/cancel", null);
    }
}
