using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Events;
using StageStream.Core.Pipeline;
using StageStream.Core.Pipeline.Executors;
using StageStream.Core.Projects;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Foundation;

public sealed class StageRunnerTests
{
    /// <summary>Fails after leaving a change the database refuses (a shot without narration).</summary>
    private sealed class BrokenRewrite : IStageExecutor
    {
        public string Stage => StageNames.Rewrite;

        public Task<StageOutcome> ExecuteAsync(StageContext context, CancellationToken cancellationToken)
        {
            context.Project.Shots.Add(new Shot { ProjectId = context.Project.Id, Narration = null!, VisualPrompt = "x", ShotType = "wide" });
            throw new InvalidDataException("the model said nonsense");
        }
    }

    /// <summary>Works until released, then finishes without looking at its cancellation token.</summary>
    private sealed class GatedRewrite(TaskCompletionSource gate) : IStageExecutor
    {
        public string Stage => StageNames.Rewrite;

        public async Task<StageOutcome> ExecuteAsync(StageContext context, CancellationToken cancellationToken)
        {
            await context.Report.TokenAsync("working", CancellationToken.None);
            await gate.Task;
            context.Project.RewrittenText = "finished anyway";
            return new StageOutcome(FullText: "finished anyway");
        }
    }

    [Fact]
    public async Task ACancelThatArrivesAsTheWorkFinishesStillStopsThePipeline()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(configure: builder =>
        {
            builder.Services.Remove(builder.Services.Single(d => d.ImplementationType == typeof(RewriteExecutor)));
            builder.Services.AddScoped<IStageExecutor>(_ => new GatedRewrite(gate));
        });
        var projectId = await PipelineTests.CreateProjectAsync(app);
        await using var recorder = await EventRecorder.StartAsync(app, projectId);
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)).StatusCode);
        await recorder.WaitForAsync(e => e.Type == EventTypes.Token, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/api/v1/projects/{projectId}/cancel", null)).StatusCode);
        gate.SetResult();
        await recorder.WaitForEndAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(("pipeline", "cancelled"), (recorder.Events[^1].Event.Stage, recorder.Events[^1].Event.Status));
        Assert.DoesNotContain(recorder.Events, e => e.Event.Stage == StageNames.Storyboard);
        var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal("cancelled", project.GetProperty("status").GetString());
        Assert.Equal("cancelled", project.GetProperty("stages")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task AFailingStageIsRecordedAndReportedEvenWhenItLeftChangesTheDatabaseRefuses()
    {
        await using var app = await TestApp.StartAsync(configure: builder =>
        {
            builder.Services.Remove(builder.Services.Single(d => d.ImplementationType == typeof(RewriteExecutor)));
            builder.Services.AddScoped<IStageExecutor, BrokenRewrite>();
        });
        var projectId = await PipelineTests.CreateProjectAsync(app);
        await using var recorder = await EventRecorder.StartAsync(app, projectId, StageNames.Rewrite);

        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)).StatusCode);
        await recorder.WaitForEndAsync(TimeSpan.FromSeconds(30));

        var error = recorder.Events[^1];
        Assert.Equal(EventTypes.Error, error.Type);
        Assert.Equal("the model said nonsense", error.Event.Error);
        var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal("failed", project.GetProperty("status").GetString());
        Assert.Equal("failed", project.GetProperty("stages")[0].GetProperty("status").GetString());
        Assert.Empty(project.GetProperty("shots").EnumerateArray());
    }
}
