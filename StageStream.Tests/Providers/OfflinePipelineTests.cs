using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StageStream.Core.Providers.Offline;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Providers;

/// <summary>The whole pipeline on the offline providers, through the real app and its REST API.</summary>
public sealed class OfflinePipelineTests
{
    private const string Story =
        "the old lighthouse stood on the cliff . every night ,the keeper climbed the stairs and lit the lamp!! " +
        "one stormy night a small boat appeared between the waves.";

    private static readonly Dictionary<string, string?> SmallFrames = new()
    {
        ["Pipeline:Width"] = "320",
        ["Pipeline:Height"] = "180",
    };

    private static async Task<JsonElement> RunPipelineAsync(TestApp app)
    {
        var created = await app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "Lighthouse", original_text = Story });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var run = await app.Client.PostAsync($"/api/v1/projects/{id}/pipeline/run", null);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);

        // Generous: the machine running the tests may be busy.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{id}");
            var status = project.GetProperty("status").GetString();
            if (status is "completed" or "failed" or "cancelled" || DateTime.UtcNow > deadline)
            {
                return project;
            }
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task OfflinePipelineMakesAFilmOfTheRewrittenStory()
    {
        await using var app = await TestApp.StartAsync(SmallFrames);

        var project = await RunPipelineAsync(app);

        Assert.True(project.GetProperty("status").GetString() == "completed", project.ToString());
        var rewritten = project.GetProperty("rewritten_text").GetString()!;
        Assert.NotEqual(Story, rewritten);
        Assert.Contains("Every night, the keeper climbed the stairs and lit the lamp!", rewritten);
        Assert.Equal("offline", project.GetProperty("rewrite_provider").GetString());

        var shots = project.GetProperty("shots").EnumerateArray().ToList();
        Assert.Equal(3, shots.Count);
        Assert.All(shots, shot =>
        {
            Assert.Equal("offline", shot.GetProperty("image_provider").GetString());
            Assert.Equal("offline", shot.GetProperty("camera_provider").GetString());
            Assert.Equal("offline", shot.GetProperty("clip_provider").GetString());
        });

        var filmUrl = project.GetProperty("final_video_url").GetString()!;
        var film = await app.Client.GetAsync(filmUrl);
        Assert.Equal(HttpStatusCode.OK, film.StatusCode);
        Assert.Equal("video/mp4", film.Content.Headers.ContentType?.MediaType);
        var path = Path.Combine(app.DataPath, "downloaded-film.mp4");
        await File.WriteAllBytesAsync(path, await film.Content.ReadAsByteArrayAsync());
        var info = await app.Service<Ffmpeg>().ProbeAsync(path, CancellationToken.None);
        var expected = shots.Sum(s => s.GetProperty("duration").GetDouble());
        Assert.InRange(info.DurationSeconds, expected - 0.5, expected + 0.5);
        Assert.Equal(("h264", "yuv420p", 320, 180), (info.Codec, info.PixelFormat, info.Width, info.Height));
    }

    [Fact]
    public async Task WithoutFfmpegTheVideoStageFailsSayingHowToInstallIt()
    {
        var empty = Directory.CreateTempSubdirectory("stagestream-nopath-");
        try
        {
            await using var app = await TestApp.StartAsync(new Dictionary<string, string?>(SmallFrames)
            {
                ["Providers:Offline:FfmpegSearchPath"] = empty.FullName,
            });

            var project = await RunPipelineAsync(app);

            Assert.True(project.GetProperty("status").GetString() == "failed", project.ToString());
            var video = project.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == "video_generation");
            Assert.Equal("failed", video.GetProperty("status").GetString());
            var error = video.GetProperty("error").GetString()!;
            Assert.Contains("ffmpeg", error);
            Assert.Contains("sudo apt-get install ffmpeg", error);
            var images = project.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == "image_generation");
            Assert.Equal("completed", images.GetProperty("status").GetString());
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }
}
