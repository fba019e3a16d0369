using System.Net.Http.Json;
using System.Text.Json;
using StageStream.Tests.Infrastructure;
using StageStream.Tests.Streaming;
using Xunit.Abstractions;

namespace StageStream.Tests.Crash;

/// <summary>
/// <c>kill -9</c> of the real app in the middle of runs, then a new process on the same data folder: what clients
/// saw is never lost or rewritten, interrupted runs end on the wire and start again, and the work completes.
/// </summary>
public sealed class KillTests(ITestOutputHelper output) : IDisposable
{
    private const string Story = """
        The old lighthouse keeper climbed the stairs at dusk. The storm was coming fast. He lit the great lamp and
        watched the sea. A small boat fought the waves below the cliffs. Its sail was torn and its lantern swung
        wildly. The keeper rang the bell again and again. The boat turned towards the sound. At dawn the boat was
        safe in the harbour, and the keeper finally slept.
        """;

    private readonly TempFolder _folder = new();
    private readonly int _port = FreePorts.Next();

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Pipeline:Width"] = "320",
        ["Pipeline:Height"] = "180",
        // Slow enough that the kill lands in the middle of the rewrite's tokens.
        ["Providers:Offline:TokensPerSecond"] = "20",
    };

    private string DataPath => _folder.Path;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task KilledDuringRewriteAndDuringVideoTheReplayHoldsEverythingClientsSawAndThePipelineCompletes()
    {
        AppProcess app = await StartAsync();
        try
        {
            var projectId = await StreamTestSupport.CreateProjectAsync(app.Client, Story);
            var all = $"/api/v1/sse/projects/{projectId}/";
            await using var watcherA = ResumingWatcher.Start(app.BaseAddress, all);
            await using var watcherB = ResumingWatcher.Start(app.BaseAddress, all);
            await using var rewriteWatcher = ResumingWatcher.Start(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/rewrite/");
            await StreamTestSupport.WaitUntilAsync(() => watcherA.Connections > 0 && watcherB.Connections > 0 && rewriteWatcher.Connections > 0,
                TimeSpan.FromSeconds(10), "the watchers are connected");
            (await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)).EnsureSuccessStatusCode();

            await StreamTestSupport.WaitUntilAsync(() => watcherA.Events.Count(e => e.Type == "token") >= 15, TimeSpan.FromSeconds(30), "rewrite tokens arrive");
            await app.KillAsync();
            output.WriteLine($"killed during rewrite after {watcherA.Events.Count} events");
            app = await StartAsync();

            await StreamTestSupport.WaitUntilAsync(
                () => watcherA.Events.Any(e => e.Str("stage") == "video_generation" && e.Type is "progress" or "item_completed"),
                TimeSpan.FromSeconds(90), "the video stage is at work");
            await app.KillAsync();
            output.WriteLine($"killed during video_generation after {watcherA.Events.Count} events");
            app = await StartAsync();

            await StreamTestSupport.WaitUntilAsync(() => watcherA.EndReason is not null && watcherB.EndReason is not null && rewriteWatcher.EndReason is not null,
                TimeSpan.FromSeconds(120), "every watcher's stream ends");
            Assert.Equal("pipeline_done", watcherA.EndReason);
            Assert.Equal("pipeline_done", watcherB.EndReason);
            Assert.Equal("done", rewriteWatcher.EndReason);

            var replay = await ReplayAsync(app, all);
            Assert.Equal(replay, await ReplayAsync(app, all), FrameComparer.Instance);
            var replayed = replay.ToDictionary(f => f.IdNumber, f => f.Data);
            foreach (var frame in watcherA.Events.Concat(watcherB.Events).Concat(rewriteWatcher.Events))
            {
                Assert.True(replayed.TryGetValue(frame.IdNumber, out var data), $"id {frame.IdNumber} ({frame.Type}) a client received is not in the replay");
                Assert.Equal(frame.Data, data);
            }
            AssertIdsIncrease(watcherA.Events);
            AssertIdsIncrease(replay);

            foreach (var stage in new[] { "rewrite", "video_generation" })
            {
                AssertInterruptedRunEndedBeforeTheNewRun(replay, stage);
            }
            Assert.Contains(rewriteWatcher.Events, e => e.Type == "stage_update" && e.Str("status") == "interrupted");
            Assert.DoesNotContain(rewriteWatcher.Events, e => e.Type == "error");

            var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
            Assert.Equal("completed", project.GetProperty("status").GetString());
            Assert.Empty(Directory.GetFiles(Path.Combine(DataPath, "media"), "*.part", SearchOption.AllDirectories));
        }
        catch
        {
            output.WriteLine(app.Log());
            throw;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task QueuedStagesSurviveAKillAndEachCompletesOnce()
    {
        var settings = new Dictionary<string, string?>(Settings) { ["Pipeline:VideoConcurrency"] = "1", ["Providers:Offline:TokensPerSecond"] = "0" };
        AppProcess app = await StartAsync(settings);
        try
        {
            var projects = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                projects.Add(await StreamTestSupport.CreateProjectAsync(app.Client, Story));
            }
            var watchers = projects.Select(p => ResumingWatcher.Start(app.BaseAddress, $"/api/v1/sse/projects/{p}/")).ToList();
            await StreamTestSupport.WaitUntilAsync(() => watchers.All(w => w.Connections > 0), TimeSpan.FromSeconds(10), "the watchers are connected");
            foreach (var id in projects)
            {
                (await app.Client.PostAsync($"/api/v1/projects/{id}/pipeline/run", null)).EnsureSuccessStatusCode();
            }
            // One video at a time: the kill comes while one renders and the others wait in the queue.
            await StreamTestSupport.WaitUntilAsync(
                () => watchers.Count(w => w.Events.Any(e => e.Str("stage") == "video_generation" && e.Str("status") == "queued")) >= 2
                    && watchers.Any(w => w.Events.Any(e => e.Str("stage") == "video_generation" && e.Type == "progress")),
                TimeSpan.FromSeconds(90), "two videos wait behind one that renders");
            await app.KillAsync();
            app = await StartAsync(settings);

            await StreamTestSupport.WaitUntilAsync(() => watchers.All(w => w.EndReason is not null), TimeSpan.FromSeconds(120), "every pipeline ends");
            foreach (var (id, watcher) in projects.Zip(watchers))
            {
                Assert.Equal("pipeline_done", watcher.EndReason);
                var replay = await ReplayAsync(app, $"/api/v1/sse/projects/{id}/");
                foreach (var stage in new[] { "rewrite", "storyboard", "image_generation", "camera_movement", "video_generation" })
                {
                    Assert.Single(replay, e => e.Type == "done" && e.Str("stage") == stage);
                }
                var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{id}");
                Assert.Equal("completed", project.GetProperty("status").GetString());
            }
            foreach (var watcher in watchers)
            {
                await watcher.DisposeAsync();
            }
        }
        catch
        {
            output.WriteLine(app.Log());
            throw;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private Task<AppProcess> StartAsync(IDictionary<string, string?>? settings = null) => AppProcess.StartAsync(DataPath, settings ?? Settings, _port);

    /// <summary>Everything the log holds for the stream, as a client that connects now with <c>Last-Event-ID: 0</c> gets it.</summary>
    private static async Task<List<SseFrame>> ReplayAsync(AppProcess app, string path)
    {
        await using var client = await SseClient.OpenAsync(app.BaseAddress, path, lastEventId: "0");
        var frames = await client.ReadToStreamEndAsync(TimeSpan.FromSeconds(30));
        return frames.Where(f => f.Type is not ("connected" or "stream_end")).ToList();
    }

    private static void AssertIdsIncrease(IReadOnlyList<SseFrame> frames)
    {
        for (var i = 1; i < frames.Count; i++)
        {
            Assert.True(frames[i].IdNumber > frames[i - 1].IdNumber, $"id {frames[i].IdNumber} follows {frames[i - 1].IdNumber}");
        }
    }

    /// <summary>The run that was killed got its terminal <c>interrupted</c> stage_update before the new run's first message.</summary>
    private static void AssertInterruptedRunEndedBeforeTheNewRun(List<SseFrame> replay, string stage)
    {
        var ofStage = replay.Where(f => f.Str("stage") == stage).ToList();
        var interrupted = Assert.Single(ofStage, f => f.Type == "stage_update" && f.Str("status") == "interrupted");
        var oldRun = interrupted.Str("run_id");
        var after = ofStage.SkipWhile(f => f != interrupted).Skip(1).ToList();
        Assert.DoesNotContain(after, f => f.Str("run_id") == oldRun);
        var newRun = after.First().Str("run_id");
        Assert.NotEqual(oldRun, newRun);
        var started = after.First(f => f.Type == "stage_update" && f.Str("status") == "processing");
        Assert.Equal(2, started.Json.GetProperty("attempt").GetInt32());
        Assert.Contains(after, f => f.Type == "done" && f.Str("run_id") == newRun);
        if (stage == "rewrite")
        {
            // A new run_id starts the text afresh: the new run's first token's full_text is its own content.
            var firstToken = after.First(f => f.Type == "token");
            Assert.Equal(firstToken.Str("content"), firstToken.Str("full_text"));
        }
    }

    private sealed class FrameComparer : IEqualityComparer<SseFrame>
    {
        public static readonly FrameComparer Instance = new();

        public bool Equals(SseFrame? x, SseFrame? y) => x?.Id == y?.Id && x?.Data == y?.Data;

        public int GetHashCode(SseFrame obj) => HashCode.Combine(obj.Id, obj.Data);
    }
}
