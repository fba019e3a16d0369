using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using StageStream.Core.Events;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Foundation;

/// <summary>No stage stays processing after a stop: a new host on the same data folder finishes the work.</summary>
public sealed class RestartTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("stagestream-restart-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task HostStoppedMidStageAndANewHostOnTheSameDataFinishThePipeline()
    {
        string projectId;
        var slow = new Dictionary<string, string?>(PipelineTests.SmallFrames) { ["Providers:Offline:TokensPerSecond"] = "20" };
        await using (var first = await TestApp.StartAsync(slow, _data))
        {
            projectId = await PipelineTests.CreateProjectAsync(first);
            await using var recorder = await EventRecorder.StartAsync(first, projectId, "rewrite");
            Assert.Equal(HttpStatusCode.Accepted, (await first.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)).StatusCode);
            await recorder.WaitForAsync(e => e.Type == EventTypes.Token, TimeSpan.FromSeconds(30));
            await first.StopAsync();
        }

        await using var second = await TestApp.StartAsync(PipelineTests.SmallFrames, _data);
        var project = await WaitForStatusAsync(second, projectId, "completed", TimeSpan.FromMinutes(3));

        Assert.All(project.GetProperty("stages").EnumerateArray(), s => Assert.Equal("completed", s.GetProperty("status").GetString()));
        Assert.Equal(2, project.GetProperty("stages")[0].GetProperty("attempts").GetInt32());
        Assert.NotNull(project.GetProperty("final_video_url").GetString());
    }

    [Fact]
    public async Task AStageThatUsedItsAttemptsIsFailedWithTheReasonAtStart()
    {
        string projectId;
        await using (var first = await TestApp.StartAsync(dataPath: _data))
        {
            projectId = await PipelineTests.CreateProjectAsync(first);
            await LeaveRewriteProcessingAsync(first, projectId, attempts: 3);
        }

        await using var second = await TestApp.StartAsync(dataPath: _data);
        // The start-up gives the stage, which has no job, one; the job finds its attempts used up.
        var project = await WaitForAsync(second, projectId, p => p.GetProperty("stages")[0].GetProperty("status").GetString() != "processing", TimeSpan.FromSeconds(30));

        var rewriteStage = project.GetProperty("stages")[0];
        Assert.Equal("failed", rewriteStage.GetProperty("status").GetString());
        Assert.Contains("interrupted 3 times", rewriteStage.GetProperty("error").GetString());
    }

    /// <summary>What a server that stopped in the middle of the rewrite leaves in the database.</summary>
    private static Task<int> LeaveRewriteProcessingAsync(TestApp app, string projectId, int attempts) =>
        app.WithScopeAsync<StageStreamDbContext, int>(async db =>
        {
            var rewrite = await db.Stages.SingleAsync(s => s.ProjectId == projectId && s.Stage == StageNames.Rewrite);
            rewrite.Status = StageStatus.Processing;
            rewrite.Attempts = attempts;
            rewrite.RunId = Project.NewId();
            rewrite.JobId = rewrite.RunId;
            return await db.SaveChangesAsync();
        });

    private static Task<JsonElement> WaitForStatusAsync(TestApp app, string projectId, string status, TimeSpan timeout) =>
        WaitForAsync(app, projectId, p => p.GetProperty("status").GetString() == status, timeout);

    private static async Task<JsonElement> WaitForAsync(TestApp app, string projectId, Func<JsonElement, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement project;
        do
        {
            await Task.Delay(200);
            project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        }
        while (!done(project) && DateTime.UtcNow < deadline);
        Assert.True(done(project), $"Not reached within {timeout}: {project}");
        return project;
    }
}
