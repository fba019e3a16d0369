using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Tests.Foundation;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Crash;

/// <summary>
/// A server that died after a pipeline's stage completed but before the next stage was queued (seen once in a kill
/// test): the stage's job, recovered at the next start, takes the pipeline on.
/// </summary>
public sealed class StalledPipelineTests
{
    [Fact]
    public async Task TheRecoveredJobOfACompletedStageQueuesTheNextStageOfItsPipeline()
    {
        await using var app = await TestApp.StartAsync(PipelineTests.SmallFrames);
        var projectId = await PipelineTests.CreateProjectAsync(app);
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/api/v1/projects/{projectId}/stages/rewrite/run", null)).StatusCode);
        await WaitForAsync(app, projectId, p => Stage(p, 0) == "completed");

        // As the database is after the death: the pipeline's rewrite completed, the project still running, nothing queued.
        var jobId = await app.WithScopeAsync<StageStreamDbContext, string>(async db =>
        {
            var project = (await db.FindProjectAsync(projectId, CancellationToken.None))!;
            project.Status = ProjectStatus.Running;
            project.PipelineRunId = "stalled-pipeline";
            var rewrite = project.Stage(StageNames.Rewrite);
            rewrite.PipelineRunId = project.PipelineRunId;
            await db.SaveChangesAsync();
            return rewrite.JobId!;
        });
        var request = new StageRunRequest(projectId, StageNames.Rewrite, jobId);

        // A second firing that is not a recovery (a duplicate) changes nothing.
        Assert.Equal(RunEnd.Ended, await app.WithScopeAsync<StageRunner, RunEnd>(runner => runner.RunAsync(request, CancellationToken.None)));
        var untouched = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal(("running", "pending"), (untouched.GetProperty("status").GetString(), Stage(untouched, 1)));

        // The recovered job: the pipeline goes on to its film.
        Assert.Equal(RunEnd.Ended, await app.WithScopeAsync<StageRunner, RunEnd>(runner => runner.RunAsync(request with { Resuming = true }, CancellationToken.None)));
        var done = await WaitForAsync(app, projectId, p => p.GetProperty("status").GetString() is "completed" or "failed");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.All(done.GetProperty("stages").EnumerateArray(), s => Assert.Equal("completed", s.GetProperty("status").GetString()));
        var rewriteRuns = await app.WithScopeAsync<StageStreamDbContext, int>(db =>
            db.StageRuns.CountAsync(r => r.ProjectId == projectId && r.Stage == StageNames.Rewrite));
        Assert.Equal(1, rewriteRuns);
    }

    private static string? Stage(JsonElement project, int index) => project.GetProperty("stages")[index].GetProperty("status").GetString();

    private static async Task<JsonElement> WaitForAsync(TestApp app, string projectId, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
            if (done(project))
            {
                return project;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the project did not get there: {project}");
            await Task.Delay(100);
        }
    }
}
