using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Events;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
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
        var slow = new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "20" };
        await using var runner = await TestApp.StartAsync(slow, _data);
        await using var other = await TestApp.StartAsync(slow, _data);
        var projectId = await PipelineTests.CreateProjectAsync(runner);
        await using var recorder = await EventRecorder.StartAsync(runner, projectId, "rewrite");
        Assert.Equal(HttpStatusCode.Accepted, (await runner.Client.PostAsync($"/api/v1/projects/{projectId}/stages/rewrite/run", null)).StatusCode);
        await recorder.WaitForAsync(e => e.Type == EventTypes.Token, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.Accepted, (await other.Client.PostAsync($"/api/v1/projects/{projectId}/cancel", null)).StatusCode);

        // The whole rewrite would take about six seconds (slow enough that the cancel lands in it on a busy machine);
        // the runner must stop long before and not overwrite the cancel.
        await Task.Delay(TimeSpan.FromSeconds(8));
        var project = await runner.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal("cancelled", project.GetProperty("stages")[0].GetProperty("status").GetString());
        Assert.Equal("cancelled", project.GetProperty("status").GetString());
        Assert.Null(project.GetProperty("rewritten_text").GetString());
        Assert.DoesNotContain(recorder.Events, e => e.Type == EventTypes.Done);
    }
}

/// <summary>A cancel that loaded the project just before its pipeline queued the next stage, which a runner then claimed.</summary>
public sealed class CancelBetweenStagesTests
{
    [Fact]
    public async Task ACancelActsOnTheStagesAsTheyAreOnceItsFlagIsSetNotAsItLoadedThem()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await PipelineTests.CreateProjectAsync(app);

        await app.WithScopeAsync<IServiceProvider, bool>(async services =>
        {
            var db = services.GetRequiredService<StageStreamDbContext>();
            var loaded = (await db.FindProjectAsync(projectId, CancellationToken.None))!;
            Assert.DoesNotContain(loaded.Stages, s => s.IsActive);
            // Meanwhile, elsewhere: the rewrite is queued and claimed by a runner (on another host) before the flag is set.
            await app.WithScopeAsync<StageStreamDbContext, int>(other => other.Stages
                .Where(s => s.ProjectId == projectId && s.Stage == StageNames.Rewrite)
                .ExecuteUpdateAsync(set => set.SetProperty(s => s.Status, StageStatus.Processing).SetProperty(s => s.RunId, "claimed-elsewhere")));

            await services.GetRequiredService<PipelineService>().CancelAsync(loaded, CancellationToken.None);
            return true;
        });

        var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal("cancelled", project.GetProperty("stages")[0].GetProperty("status").GetString());
        Assert.Equal("cancelled", project.GetProperty("status").GetString());
    }
}
