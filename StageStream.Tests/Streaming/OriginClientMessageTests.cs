using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Streaming;

/// <summary>
/// What the origin system's own pages rely on (stage_completed after done on the all-stages stream), and
/// Last-Event-ID at the edge of its range, over real HTTP.
/// </summary>
public sealed class OriginClientMessageTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ALoneStageRunEndsTheAllStagesStreamAfterStageCompletedAndItsOwnStreamAtDone()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        using var start = await app.Client.PostAsync($"/api/v1/projects/{projectId}/stages/rewrite/run", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);

        var allPath = $"/api/v1/projects/sse/projects/{projectId}/";
        var stagePath = $"/api/v1/projects/sse/projects/{projectId}/stages/rewrite/";
        await using var all = await SseClient.OpenAsync(app.BaseAddress, allPath);
        await using var single = await SseClient.OpenAsync(app.BaseAddress, stagePath);
        var allMessages = await all.ReadToStreamEndAsync(Wait);
        var stageMessages = await single.ReadToStreamEndAsync(Wait);

        Assert.Equal(["done", "stage_completed", "stream_end"], allMessages[^3..].Select(m => m.Type));
        var completed = allMessages[^2].Json;
        Assert.Equal(projectId, completed.GetProperty("project_id").GetString());
        Assert.Equal("rewrite", completed.GetProperty("stage").GetString());
        Assert.Equal("Stage rewrite completed", completed.GetProperty("message").GetString());
        Assert.True(completed.GetProperty("timestamp").GetDouble() > 1_700_000_000);
        Assert.True(allMessages[^2].IdNumber > allMessages[^3].IdNumber);
        Assert.Equal(("done", allMessages[^2].IdNumber), (allMessages[^1].Str("message"), allMessages[^1].IdNumber));

        // The single-stage stream ends at done and never carries stage_completed.
        Assert.Equal(["done", "stream_end"], stageMessages[^2..].Select(m => m.Type));
        Assert.DoesNotContain(stageMessages, m => m.Type == "stage_completed");
        Assert.Equal(allMessages.Where(m => m.Type is not ("connected" or "stream_end" or "stage_completed")).Select(m => m.Id),
            stageMessages.Where(m => m.Type is not ("connected" or "stream_end")).Select(m => m.Id));

        // Reconnecting from the end of either stream is told the run is over (204), from done onward too.
        foreach (var (path, id) in new[] { (allPath, allMessages[^1].Id), (stagePath, stageMessages[^1].Id), (stagePath, allMessages[^2].Id) })
        {
            using var again = await SseClient.SendAsync(app.BaseAddress, path, id, app.Client);
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }
        // A client of the all-stages stream that saw done but not stage_completed gets it, then the end.
        await using var resumed = await SseClient.OpenAsync(app.BaseAddress, allPath, lastEventId: allMessages[^3].Id);
        var rest = await resumed.ReadToStreamEndAsync(Wait);
        Assert.Equal(["connected", "stage_completed", "stream_end"], rest.Select(m => m.Type));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LastEventIdAtTheTopOfItsRangeAnswersAsItsNeighboursDo(bool allStages)
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var run = await script.TextRunAsync("rewrite", EventScript.NewRunId(), ["one ", "two"]);
        run.Add(await script.PublishAsync("rewrite", run[0].RunId, EventTypes.StageCompleted));
        var path = allStages ? $"/api/v1/sse/projects/{projectId}/" : $"/api/v1/sse/projects/{projectId}/stages/rewrite/";
        var top = long.MaxValue.ToString();
        var neighbours = new[] { top, (long.MaxValue - 1).ToString(), "1000000000000000000", run[^1].Id.ToString() };

        // The run has ended: every id at or past its end is told so, long.MaxValue included.
        foreach (var id in neighbours)
        {
            using var response = await SseClient.SendAsync(app.BaseAddress, path, id, app.Client);
            Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"Last-Event-ID {id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        // A new run is under way: a resume past it opens the stream at that id and replays nothing, like its neighbours;
        // a resume from the old run's end gets the new run.
        var next = await script.StageUpdateAsync("rewrite", EventScript.NewRunId(), "queued");
        foreach (var id in neighbours[..3])
        {
            await using var sse = await SseClient.OpenAsync(app.BaseAddress, path, lastEventId: id);
            var connected = await sse.ReadMessageAsync(Wait);
            Assert.Equal(("connected", id), (connected.Type, connected.Id));
            await Assert.ThrowsAsync<TimeoutException>(() => sse.ReadMessageAsync(TimeSpan.FromSeconds(0.5)));
        }
        await using (var caughtUp = await SseClient.OpenAsync(app.BaseAddress, path, lastEventId: run[^1].Id.ToString()))
        {
            Assert.Equal("connected", (await caughtUp.ReadMessageAsync(Wait)).Type);
            Assert.Equal(next.Id, (await caughtUp.ReadMessageAsync(Wait)).IdNumber);
        }

        // Not an id at all: a 400 problem, never a replay.
        foreach (var bad in new[] { "-1", "-9223372036854775808", "9223372036854775808", "abc", "12abc", "1.5" })
        {
            using var response = await SseClient.SendAsync(app.BaseAddress, path, bad, app.Client);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"Last-Event-ID {bad} answered {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("Last-Event-ID", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        }
    }
}
