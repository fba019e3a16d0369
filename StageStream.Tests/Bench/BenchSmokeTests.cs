using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StageStream.Bench;
using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Bench;

/// <summary>
/// Keeps the fan-out benchmark working: its smoke mode against the real app on a loopback port, the
/// bench endpoints (off unless configured), and the integrity check the figures rely on.
/// </summary>
public sealed class BenchSmokeTests
{
    private static readonly Dictionary<string, string?> BenchOn = new() { ["Diagnostics:BenchEndpoints"] = "true" };

    [Fact]
    public async Task SmokeModeDeliversEveryEventOnceInOrderAndPrintsTheFigures()
    {
        await using var app = await TestApp.StartAsync(BenchOn);
        var output = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var results = await BenchRunner.RunAsync(
            BenchOptions.Parse(["--smoke", "--url", app.BaseAddress.ToString(), "--no-warm-up"]), output, timeout.Token);

        var text = output.ToString();
        Assert.Equal(["smoke-stream", "smoke-broadcast"], results.Select(r => r.Scenario));
        foreach (var result in results)
        {
            Assert.True(result.Passed, text);
            Assert.Equal(result.ConnectionsWanted, result.ConnectionsEstablished);
            Assert.Equal((0L, 0L, 0L, 0L), (result.Lost, result.Duplicated, result.OutOfOrder, result.Unexpected));
            Assert.True(result.EventsDelivered > 0, text);
            Assert.Equal(result.EventsExpected, result.EventsDelivered);
            Assert.Equal(result.EventsDelivered, result.LatencySamples);
            Assert.InRange(result.LatencyP99Ms, 0, 10_000);
            Assert.True(result.IdleRssBytes > 0 && result.IdleHeapBytes > 0, text);
        }
        // smoke-stream: 10 clients x (stage_update + 60 tokens + done).
        Assert.Equal(10 * 62, results[0].EventsDelivered);
        // smoke-broadcast: 50 clients got the broadcast, and the time it took is reported.
        Assert.Equal(50 * 2, results[1].EventsDelivered);
        Assert.NotNull(results[1].BroadcastAllReceivedMs);
        foreach (var figure in new[] { "connections", "events/s", "p50", "p95", "p99", "max", "KiB/connection", "cpu", "lost 0, duplicated 0, out-of-order 0", "broadcast", "2/2 scenario runs passed" })
        {
            Assert.Contains(figure, text);
        }
        // Every subscription was released when the bench closed its connections.
        await WaitUntilAsync(() => app.Service<EventHub>().SubscriberCount == 0);
    }

    [Fact]
    public async Task BenchEndpointsAreNotMappedByDefault()
    {
        await using var app = await TestApp.StartAsync();
        var project = await CreateProjectAsync(app);

        var drive = await app.Client.PostAsJsonAsync("/api/v1/diagnostics/bench/streams", new { project_ids = new[] { project }, tokens = 1 });
        var memory = await app.Client.GetAsync("/api/v1/diagnostics/memory");

        // Unmapped: 404, or 405 where the UI's page routes match the path for GET only.
        Assert.True(drive.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, drive.StatusCode.ToString());
        Assert.DoesNotContain("rss_bytes", await memory.Content.ReadAsStringAsync());
        Assert.NotEqual("application/json", memory.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await app.Service<IEventTransport>().ReadAsync(project, 0, CancellationToken.None));
    }

    [Fact]
    public async Task DriverPublishesTheRunThroughThePublisherAndReturnsItsIds()
    {
        await using var app = await TestApp.StartAsync(BenchOn);
        var project = await CreateProjectAsync(app);

        var response = await app.Client.PostAsJsonAsync("/api/v1/diagnostics/bench/streams",
            new { project_ids = new[] { project }, tokens_per_second = 200, tokens = 5, token_text = "字" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var run = body.GetProperty("projects")[0];
        var ids = run.GetProperty("event_ids").EnumerateArray().Select(e => e.GetInt64()).ToList();
        Assert.Equal(7, body.GetProperty("published").GetInt32());
        var stored = await app.Service<IEventTransport>().ReadAsync(project, 0, CancellationToken.None);
        Assert.Equal(ids, stored.Select(e => e.Id));
        Assert.Equal(["stage_update", "token", "token", "token", "token", "token", "done"], stored.Select(e => e.Type));
        Assert.All(stored, e => Assert.Equal(run.GetProperty("run_id").GetString(), e.RunId));
        Assert.All(stored, e => Assert.NotNull(e.PublishedAtMs));
        Assert.All(stored.Where(e => e.Type == "token"), e => Assert.Equal("字", e.Content));
    }

    [Theory]
    [InlineData("""{"project_ids":[],"tokens":1}""", "project_ids")]
    [InlineData("""{"project_ids":["p"],"tokens_per_second":0}""", "tokens_per_second")]
    [InlineData("""{"project_ids":["p"],"tokens":-1}""", "tokens")]
    [InlineData("""{"project_ids":["p"],"seconds":-2}""", "seconds")]
    [InlineData("""{"project_ids":["p"],"tokens":1,"stage":"painting"}""", "painting")]
    public async Task DriverRejectsBadInputWithProblemDetails(string body, string mentions)
    {
        await using var app = await TestApp.StartAsync(BenchOn);

        var response = await app.Client.PostAsync("/api/v1/diagnostics/bench/streams", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, response.StatusCode.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mentions, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MemoryEndpointReportsTheProcessAndTheLiveSubscriptions()
    {
        await using var app = await TestApp.StartAsync(BenchOn);

        var snapshot = await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/diagnostics/memory?collect=true");

        Assert.True(snapshot.GetProperty("rss_bytes").GetInt64() > 10_000_000);
        Assert.True(snapshot.GetProperty("gc_heap_size_bytes").GetInt64() > 0);
        Assert.True(snapshot.GetProperty("cpu_ms").GetDouble() > 0);
        Assert.Equal(0, snapshot.GetProperty("subscribers").GetInt32());
    }

    [Fact]
    public void IntegrityCheckCountsLostDuplicatedOutOfOrderAndUnexpectedIds()
    {
        long[] published = [10, 20, 30, 40, 50];

        Assert.Equal(new BenchRunner.IdCheck(0, 0, 0, 0), BenchRunner.Check([10, 20, 30, 40, 50], published));
        Assert.Equal(new BenchRunner.IdCheck(2, 0, 0, 0), BenchRunner.Check([10, 30, 50], published));
        Assert.Equal(new BenchRunner.IdCheck(0, 2, 0, 0), BenchRunner.Check([10, 20, 20, 30, 40, 40, 50], published));
        Assert.Equal(new BenchRunner.IdCheck(0, 0, 1, 0), BenchRunner.Check([10, 30, 20, 40, 50], published));
        Assert.Equal(new BenchRunner.IdCheck(0, 0, 0, 1), BenchRunner.Check([5, 10, 20, 30, 40, 50], published));
    }

    [Fact]
    public void LatencyPercentilesComeFromTheRecordedSamples()
    {
        var histogram = new LatencyHistogram();
        for (var ms = 1; ms <= 100; ms++)
        {
            histogram.Record(ms);
        }

        Assert.Equal(100, histogram.Count);
        Assert.InRange(histogram.Percentile(50), 50, 50.2);
        Assert.InRange(histogram.Percentile(99), 99, 99.2);
        Assert.Equal(100, histogram.MaxMs, 3);
    }

    private static async Task<string> CreateProjectAsync(TestApp app)
    {
        var created = await app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "Bench", original_text = "A fox runs." });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(25);
        }
        Assert.True(condition());
    }
}
