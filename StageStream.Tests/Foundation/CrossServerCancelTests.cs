using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Foundation;

/// <summary>Two servers on one database: a cancel sent to the one that does not run the stage still stops it.</summary>
public sealed class CrossServerCancelTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("stagestream-two-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task CancelOnAnotherServerEndsTheRunAndTheRunningServerStopsWithoutOverwritingIt()
    {
        var slow = new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "40" };
        await using var runner = await TestApp.StartAsync(slow, _data);
        await using var other = await TestApp.StartAsync(slow, _data);
        var projectId = await PipelineTests.CreateProjectAsync(runner);
        await using var recorder = await EventRecorder.StartAsync(runner, projectId, "rewrite");
        Assert.Equal(HttpStatusCode.Accepted, (await runner.Client.PostAsync($"/api/v1/projects/{projectId}/stages/rewrite/run", null)).StatusCode);
        await recorder.WaitForAsync(e => e.Type == EventTypes.Token, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.Accepted, (await other.Client.PostAsync($"/api/v1/projects/{projectId}/cancel", null)).StatusCode);

        // The whole rewrite would take about three seconds; the runner must stop long before and not overwrite the cancel.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var project = await runner.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal("cancelled", project.GetProperty("stages")[0].GetProperty("status").GetString());
        Assert.Equal("cancelled", project.GetProperty("status").GetString());
        Assert.Null(project.GetProperty("rewritten_text").GetString());
        Assert.DoesNotContain(recorder.Events, e => e.Type == EventTypes.Done);
    }
}
