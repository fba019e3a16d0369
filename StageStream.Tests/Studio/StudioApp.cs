using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StageStream.Tests.Browser;
using StageStream.Tests.Foundation;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Studio;

/// <summary>
/// An app for the studio's tests (the browser tests share one, the API tests another): small frames, tokens at a steady pace, and one project,
/// "灯塔", run to its film once, which is also this machine's first run history.
/// </summary>
public class StudioApp : IAsyncLifetime
{
    public static readonly Dictionary<string, string?> Settings = new(PipelineTests.SmallFrames)
    {
        ["Providers:Offline:TokensPerSecond"] = "60",
    };

    public TestApp App { get; private set; } = null!;

    /// <summary>A Chinese story, so that on the Chinese pages every English word would be the app's.</summary>
    public const string ChineseStory = "老守塔人在黄昏时爬上楼梯。暴风雨就要来了！他点亮了大灯，望着大海。一条小船在浪里挣扎。天亮时，小船平安地回到了港口，守塔人终于睡着了。";

    /// <summary>The project whose pipeline is done ("灯塔", a Chinese story): film, subtitles, frames, clips, five runs in its history.</summary>
    public string DoneId { get; private set; } = "";

    public TimeSpan FirstRun { get; private set; }

    protected virtual Dictionary<string, string?> AppSettings => Settings;

    public async Task InitializeAsync()
    {
        App = await TestApp.StartAsync(AppSettings);
        DoneId = await CreateAsync("灯塔", ChineseStory);
        var watch = Stopwatch.StartNew();
        await RunToEndAsync(DoneId);
        FirstRun = watch.Elapsed;
    }

    public async Task<string> CreateAsync(string name, string text = PipelineTests.Story)
    {
        var response = await App.Client.PostAsJsonAsync("/api/v1/projects", new { name, original_text = text });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> GetAsync(string id) => await App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{id}");

    /// <summary>Runs the whole pipeline (forced: every stage again) and waits for its end.</summary>
    public async Task RunToEndAsync(string id, bool force = false)
    {
        var run = await App.Client.PostAsync($"/api/v1/projects/{id}/pipeline/run?force={force.ToString().ToLowerInvariant()}", null);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        await WaitForStatusAsync(id, "completed");
    }

    public async Task WaitForStatusAsync(string id, string status)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var project = await GetAsync(id);
            if (project.GetProperty("status").GetString() == status && !project.GetProperty("stages").EnumerateArray()
                    .Any(s => s.GetProperty("status").GetString() is "queued" or "processing"))
            {
                return;
            }
            Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(3), $"project {id} did not become {status}: {project}");
            Assert.NotEqual("failed", project.GetProperty("status").GetString());
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>The studio's browser tests: the app and the browser they share.</summary>
[CollectionDefinition(Name)]
public sealed class StudioCollection : ICollectionFixture<StudioApp>, ICollectionFixture<UiBrowser>
{
    public const string Name = "studio";
}

/// <summary>
/// The studio's app for tests that time runs: tokens slower than in <see cref="StudioApp.Settings"/>, so that most of a
/// run is paced text rather than ffmpeg, whose time varies by a quarter from one run to the next on a busy machine.
/// </summary>
public sealed class TimedStudioApp : StudioApp
{
    protected override Dictionary<string, string?> AppSettings { get; } = new(Settings) { ["Providers:Offline:TokensPerSecond"] = "12" };
}

/// <summary>
/// The studio's API tests, which also time a run's estimate and queries over 10,000 projects: with an app of their
/// own and after the parallel collections, so that the load of other tests does not skew the times they compare.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StudioTimedCollection : ICollectionFixture<TimedStudioApp>
{
    public const string Name = "studio-timed";
}
