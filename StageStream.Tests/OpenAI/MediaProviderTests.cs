using System.Text.Json.Nodes;
using SkiaSharp;
using StageStream.Core.Projects;
using StageStream.Core.Providers;
using static StageStream.Tests.OpenAI.FakeVendorServer;

namespace StageStream.Tests.OpenAI;

public sealed class MediaProviderTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("stagestream-openai-");

    private static ImageRequest Shot => new("p1", 1, 3, "The dragon wakes.", "A dragon in a cave", "close-up", 320, 180);

    private static void AssertPng(byte[] bytes, int width, int height, SKColor expectedMiddle)
    {
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        var middle = bitmap.GetPixel(width / 2, height / 2);
        Assert.InRange(Math.Abs(middle.Red - expectedMiddle.Red) + Math.Abs(middle.Green - expectedMiddle.Green) + Math.Abs(middle.Blue - expectedMiddle.Blue), 0, 24);
    }

    [Fact]
    public async Task B64JsonImageBecomesAPngOfThePipelineSize()
    {
        await using var server = await StartAsync();
        server.ImageReplies.Enqueue(ImageB64(Jpeg(1024, 1024, 0xFF2080C0)));
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Providers:OpenAI:ImageSize"] = "1024x1024" });

        var png = await host.Provider<IImageProvider>().GenerateAsync(Shot, CancellationToken.None);

        AssertPng(png, 320, 180, new SKColor(0x20, 0x80, 0xC0));
        var request = JsonNode.Parse(server.Requests.Single(r => r.Path == "/v1/images/generations").Body)!;
        Assert.Equal("fake-image", request["model"]!.ToString());
        Assert.Equal("1024x1024", request["size"]!.ToString());
        Assert.Contains("A dragon in a cave", request["prompt"]!.ToString());
        Assert.Null(request["response_format"]);
    }

    [Fact]
    public async Task UrlImageIsDownloadedWithoutTheKeyAndSavedAsPng()
    {
        await using var server = await StartAsync();
        server.ImageReplies.Enqueue(server.ImageUrl(Jpeg(600, 400, 0xFFC04010)));
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?>
        {
            ["Providers:OpenAI:ImageResponseFormat"] = "url",
            ["Stages:image_generation:Model"] = "dall-e-3",
        });

        var png = await host.Provider<IImageProvider>().GenerateAsync(Shot, CancellationToken.None);

        AssertPng(png, 320, 180, new SKColor(0xC0, 0x40, 0x10));
        var request = JsonNode.Parse(server.Requests.Single(r => r.Path == "/v1/images/generations").Body)!;
        Assert.Equal("url", request["response_format"]!.ToString());
        Assert.Equal("dall-e-3", request["model"]!.ToString());
        var download = server.Requests.Single(r => r.Path.StartsWith("/files/"));
        Assert.Equal("", download.Authorization);
    }

    [Fact]
    public async Task OpenAIVideoJobGoesQueuedInProgressCompletedReportingProgress()
    {
        await using var server = await StartAsync();
        server.VideoBytes = "mp4-from-openai"u8.ToArray();
        server.VideoScripts.Enqueue([State("queued", 0), State("in_progress", 30), State("in_progress", 70), State("completed", 100)]);
        await using var host = ProviderHost.Start(server);
        var reports = new List<int>();

        var clip = Clip(6);
        await host.Provider<IVideoProvider>().GenerateAsync(clip, new SyncProgress(reports), CancellationToken.None);

        Assert.Equal([0, 30, 70, 100], reports);
        Assert.Equal("mp4-from-openai"u8.ToArray(), await File.ReadAllBytesAsync(clip.OutputPath));
        var job = Assert.Single(server.Jobs.Values);
        Assert.Equal("fake-video", job.Fields["model"]);
        Assert.Equal("8", job.Fields["seconds"]); // 6 s is covered by sora's 8
        Assert.Equal("320x180", job.Fields["size"]);
        Assert.Contains("push_in", job.Fields["prompt"]);
        Assert.Equal(("input_reference", "frame.png"), (job.Files.Single().Name, job.Files.Single().FileName));
        Assert.Contains(server.Requests, r => r.Path == $"/v1/videos/{job.Id}/content" && r.Authorization == "Bearer " + ApiKey);
    }

    [Fact]
    public async Task SeedanceTaskGoesQueuedRunningSucceededAndDownloadsTheVideoUrl()
    {
        await using var server = await StartAsync();
        server.VideoBytes = "mp4-from-seedance"u8.ToArray();
        server.VideoScripts.Enqueue([State("queued"), State("queued"), State("running"), State("running"), State("succeeded")]);
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Providers:OpenAI:VideoApi"] = "seedance" });
        var reports = new List<int>();

        var clip = Clip(7);
        await host.Provider<IVideoProvider>().GenerateAsync(clip, new SyncProgress(reports), CancellationToken.None);

        Assert.Equal([0, 50, 100], reports);
        Assert.Equal("mp4-from-seedance"u8.ToArray(), await File.ReadAllBytesAsync(clip.OutputPath));
        var body = JsonNode.Parse(Assert.Single(server.Jobs.Values).Fields["body"])!;
        Assert.Equal("fake-video", body["model"]!.ToString());
        Assert.Equal(10, body["duration"]!.GetValue<int>());
        Assert.Equal("16:9", body["ratio"]!.ToString());
        Assert.Equal("text", body["content"]![0]!["type"]!.ToString());
        Assert.Equal("first_frame", body["content"]![1]!["role"]!.ToString());
        Assert.StartsWith("data:image/png;base64,", body["content"]![1]!["image_url"]!["url"]!.ToString());
        Assert.Equal("", server.Requests.Single(r => r.Path.StartsWith("/files/")).Authorization);
    }

    [Theory]
    [InlineData("openai", "failed")]
    [InlineData("seedance", "failed")]
    [InlineData("seedance", "expired")]
    public async Task FailedJobFailsTheClipWithTheVendorsReason(string api, string status)
    {
        await using var server = await StartAsync();
        server.VideoScripts.Enqueue([State("queued"), State(api == "openai" ? "in_progress" : "running", 10), State(status, error: "The input image violates the content policy")]);
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Providers:OpenAI:VideoApi"] = api });

        var clip = Clip(4);
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            host.Provider<IVideoProvider>().GenerateAsync(clip, new Progress<int>(), CancellationToken.None));

        Assert.Contains($"ended '{status}'", error.Message);
        Assert.Contains("content policy", error.Message);
        Assert.False(File.Exists(clip.OutputPath));
    }

    [Fact]
    public async Task JobThatNeverFinishesIsEndedByTheTimeout()
    {
        await using var server = await StartAsync();
        server.VideoScripts.Enqueue([State("queued", 0), State("in_progress", 40)]);
        await using var host = ProviderHost.Start(server, new Dictionary<string, string?> { ["Providers:OpenAI:VideoTimeout"] = "00:00:03" });
        var reports = new List<int>();

        var clip = Clip(4);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            host.Provider<IVideoProvider>().GenerateAsync(clip, new SyncProgress(reports), CancellationToken.None));

        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(20));
        Assert.Contains("did not finish within 3 s", error.Message);
        Assert.Contains("'in_progress', 40%", error.Message);
        Assert.Contains("Providers:OpenAI:VideoTimeout", error.Message);
        Assert.Equal([0, 40], reports);
        Assert.True(Assert.Single(server.Jobs.Values).Polls > 3, "polled until the timeout");
        Assert.False(File.Exists(clip.OutputPath));
    }

    private ClipRequest Clip(double seconds)
    {
        var frame = Path.Combine(_folder.FullName, "frame.png");
        File.WriteAllBytes(frame, Png(640, 360, 0xFF808080));
        return new ClipRequest(frame, CameraMove.PushIn, "Closes in slowly.", "The dragon wakes.", "A dragon in a cave",
            seconds, 320, 180, Path.Combine(_folder.FullName, $"clip-{Guid.NewGuid():N}.mp4"));
    }

    /// <summary>Records reports as they are made (Progress&lt;T&gt; would post them later, out of order).</summary>
    private sealed class SyncProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
