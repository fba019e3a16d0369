using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Foundation;

public sealed class StageCatalogTests
{
    [Fact]
    public async Task EveryStageOfTheCatalogHasItsExecutorAndTheApiListsThemInOrder()
    {
        await using var app = await TestApp.StartAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var executors = scope.ServiceProvider.GetServices<IStageExecutor>().ToList();
        Assert.Equal(StageCatalog.All.Select(d => d.Executor), executors.Select(e => e.GetType()));
        Assert.All(StageCatalog.All, d => Assert.Equal(d.Name, executors.Single(e => e.GetType() == d.Executor).Stage));

        var projectId = await PipelineTests.CreateProjectAsync(app);
        var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal(StageCatalog.Names, project.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()));
    }

    [Fact]
    public async Task AProjectCreatedBeforeAStageExistedIsListedAndRunsThroughIt()
    {
        await using var app = await TestApp.StartAsync(PipelineTests.SmallFrames);
        var projectId = await PipelineTests.CreateProjectAsync(app);
        // As a database from before the camera stage existed would hold it: no record for that stage.
        await app.WithScopeAsync<StageStreamDbContext, int>(db =>
            db.Stages.Where(s => s.ProjectId == projectId && s.Stage == StageNames.CameraMovement).ExecuteDeleteAsync());

        var before = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        var camera = before.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == StageNames.CameraMovement);
        Assert.Equal("pending", camera.GetProperty("status").GetString());

        await using var recorder = await EventRecorder.StartAsync(app, projectId);
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)).StatusCode);
        await recorder.WaitForEndAsync(TimeSpan.FromMinutes(2));
        var after = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal("completed", after.GetProperty("status").GetString());
        Assert.All(after.GetProperty("stages").EnumerateArray(), s => Assert.Equal("completed", s.GetProperty("status").GetString()));
    }

    [Fact]
    public void AnUnknownStageIsRefusedWithTheValidNames()
    {
        var error = Assert.Throws<ArgumentException>(() => StageCatalog.Of("colour_grading"));
        Assert.Contains(StageCatalog.ValidList, error.Message);
        Assert.Equal(-1, StageCatalog.IndexOf("colour_grading"));
    }
}
