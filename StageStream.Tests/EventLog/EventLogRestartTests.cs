using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using StageStream.Core.Events;
using StageStream.Core.Persistence;
using StageStream.Tests.Foundation;
using StageStream.Tests.Infrastructure;
using StageStream.Tests.Streaming;

namespace StageStream.Tests.EventLog;

/// <summary>The durable log seen over HTTP across a stop, a <c>kill -9</c> and a restart of the real app on the same data folder.</summary>
public sealed class EventLogRestartTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task AProjectCompletedBeforeARestartReplaysItsLatestRunsAfterItThenStreamEnd()
    {
        string projectId;
        List<SseFrame> sent;
        await using (var first = await TestApp.StartAsync(PipelineTests.SmallFrames, _folder.Path))
        {
            projectId = await PipelineTests.CreateProjectAsync(first);
            await using var live = await SseClient.OpenAsync(first.BaseAddress, $"/api/v1/sse/projects/{projectId}/");
            Assert.Equal("connected", (await live.ReadMessageAsync(Timeout)).Type);
            Assert.Equal(HttpStatusCode.Accepted, (await first.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)).StatusCode);
            sent = Events(await live.ReadToStreamEndAsync(TimeSpan.FromMinutes(3)));
        }
        Assert.Equal("pipeline_done", sent[^1].Type);

        await using var second = await TestApp.StartAsync(PipelineTests.SmallFrames, _folder.Path);
        await using var all = await SseClient.OpenAsync(second.BaseAddress, $"/api/v1/sse/projects/{projectId}/");
        var replay = await all.ReadToStreamEndAsync(Timeout);

        Assert.Equal("connected", replay[0].Type);
        Assert.Equal("stream_end", replay[^1].Type);
        Assert.Equal(Frames(sent), Frames(Events(replay)));
        // One stage's stream: its latest run, then the end.
        await using var rewrite = await SseClient.OpenAsync(second.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/rewrite/");
        var rewriteReplay = await rewrite.ReadToStreamEndAsync(Timeout);
        // (stage_completed is a message of the all-stages stream only.)
        Assert.Equal(Frames(sent.Where(f => f.Str("stage") == "rewrite" && f.Type != "stage_completed")), Frames(Events(rewriteReplay)));
        Assert.Equal("done", Events(rewriteReplay)[^1].Type);
    }

    [Fact]
    public async Task AfterAKill9AReplayFromAnyIdReturnsExactlyWhatClientsWereSent()
    {
        var bench = new Dictionary<string, string?> { ["Diagnostics:BenchEndpoints"] = "true" };
        string projectId;
        List<SseFrame> received;
        await using (var app = await AppProcess.StartAsync(_folder.Path, bench))
        {
            projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
            await using var client = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/rewrite/");
            Assert.Equal("connected", (await client.ReadMessageAsync(Timeout)).Type);
            var driving = app.Client.PostAsJsonAsync("/api/v1/diagnostics/bench/streams",
                new { project_ids = new[] { projectId }, tokens_per_second = 400, tokens = 20_000, stage = "rewrite", token_text = "词" });
            while (client.Received.Count(f => f.Type == "token") < 150)
            {
                await client.ReadMessageAsync(Timeout);
            }
            await app.KillAsync();
            // What was on the wire before the kill counts too: read until the connection breaks.
            try
            {
                while (await client.ReadFrameAsync(Timeout) is not null)
                {
                }
            }
            catch (IOException)
            {
            }
            await Assert.ThrowsAnyAsync<Exception>(() => driving);
            received = Events(client.Received);
        }

        await using var restarted = await AppProcess.StartAsync(_folder.Path, bench);
        var stored = await StoredCountAsync(projectId);
        var replay = await ReadAsync(restarted, projectId, lastEventId: "0", stored);
        var ids = replay.Select(f => f.IdNumber).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Distinct(), ids);
        // Every message a client saw is in the replay, at the same place, with the same id and content.
        Assert.True(received.Count >= 150);
        Assert.Equal(Frames(received), Frames(replay.Take(received.Count)));

        // Resuming in the middle: the rest, with full_text continuing the text sent before.
        var middle = received.Count / 2;
        var resumed = await ReadAsync(restarted, projectId, received[middle].IdNumber, stored - middle - 1);
        Assert.Equal(Frames(replay.Skip(middle + 1)), Frames(resumed));
    }

    [Fact]
    public async Task RetentionPrunesTheDatabaseInTheBackground()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Events:RetentionSeconds"] = "1",
            ["Events:PruneIntervalSeconds"] = "1",
        }, _folder.Path);
        var script = new EventScript(app.Service<IEventPublisher>(), "pruned-project");
        await script.TextRunAsync("rewrite", "first", ["a"]);
        await script.TextRunAsync("rewrite", "second", ["b"]);

        var deadline = DateTime.UtcNow + Timeout;
        List<string> runs;
        do
        {
            await Task.Delay(200);
            runs = await app.WithScopeAsync<StageStreamDbContext, List<string>>(db =>
                db.Events.Where(e => e.ProjectId == "pruned-project").Select(e => e.RunId).Distinct().ToListAsync());
        }
        while (runs.Count > 1 && DateTime.UtcNow < deadline);
        // The first run aged out; the second is the stage's latest run and stays however old it gets.
        Assert.Equal(["second"], runs);
    }

    private async Task<int> StoredCountAsync(string projectId)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(_folder.Path, "stagestream.db")};Mode=ReadOnly;Pooling=false");
        await db.OpenAsync();
        await using var count = db.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM Events WHERE ProjectId = $p";
        count.Parameters.AddWithValue("$p", projectId);
        return (int)(long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>The first <paramref name="count"/> messages after <c>connected</c> of the rewrite stream resumed from an id.</summary>
    private static async Task<List<SseFrame>> ReadAsync(AppProcess app, string projectId, string lastEventId, int count)
    {
        await using var client = await SseClient.OpenAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/stages/rewrite/", lastEventId);
        Assert.Equal("connected", (await client.ReadMessageAsync(Timeout)).Type);
        var messages = new List<SseFrame>();
        while (messages.Count < count)
        {
            messages.Add(await client.ReadMessageAsync(Timeout));
        }
        return messages;
    }

    private static Task<List<SseFrame>> ReadAsync(AppProcess app, string projectId, long lastEventId, int count) =>
        ReadAsync(app, projectId, lastEventId.ToString(System.Globalization.CultureInfo.InvariantCulture), count);

    /// <summary>The messages that are events (not the server's own <c>connected</c> and <c>stream_end</c>).</summary>
    private static List<SseFrame> Events(IEnumerable<SseFrame> frames) =>
        [.. frames.Where(f => !f.IsComment && f.Data is not null && f.Type is not ("connected" or "stream_end"))];

    private static List<(string?, string?)> Frames(IEnumerable<SseFrame> frames) => [.. frames.Select(f => (f.Id, f.Data))];
}
