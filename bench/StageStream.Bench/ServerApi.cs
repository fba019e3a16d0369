using System.Net.Http.Json;
using System.Text.Json;

namespace StageStream.Bench;

public sealed record CreatedProject(string Id);

public sealed record BenchProjectRun(string ProjectId, string RunId, List<long> EventIds, List<long>? PublishedAtMs);

public sealed record BenchStreamsResult(List<BenchProjectRun> Projects, int Published, double ElapsedMs, double MaxLagMs);

/// <summary>The server's /api/v1/diagnostics/memory answer.</summary>
public sealed record ProcessSnapshot(
    long RssBytes, long GcTotalBytes, long GcHeapSizeBytes, long GcCommittedBytes, long GcFragmentedBytes,
    int Gen0Collections, int Gen1Collections, int Gen2Collections, bool ServerGc, int Subscribers, int Threads, double CpuMs)
{
    /// <summary>Merged token frames the server has serialized since it started (StageStream only).</summary>
    public long MergedFramesBuilt { get; init; }

    /// <summary>/proc/PID/status VmRSS read by the bench just before asking (for a started server), garbage not yet collected.</summary>
    public long RssBeforeCollectBytes { get; init; }
}

/// <summary>The few REST calls the benchmark makes besides the streams.</summary>
public sealed class ServerApi(HttpClient http, ServerHost host)
{
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public async Task<List<string>> CreateProjectsAsync(string prefix, int count, CancellationToken ct)
    {
        var ids = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
        {
            using var response = await http.PostAsJsonAsync("api/v1/projects",
                new { name = $"{prefix}-{i + 1}", original_text = "Fan-out benchmark project." }, Json, token);
            await EnsureAsync(response, "create a project");
            ids[i] = (await response.Content.ReadFromJsonAsync<CreatedProject>(Json, token))!.Id;
        });
        return [.. ids];
    }

    /// <summary>Server memory now; with <paramref name="collect"/>, after a full GC (live objects only). RSS from /proc when the bench started the server.</summary>
    public async Task<ProcessSnapshot> SnapshotAsync(bool collect, CancellationToken ct)
    {
        var before = host.ReadRssBytes();
        using var response = await http.GetAsync($"api/v1/diagnostics/memory?collect={(collect ? "true" : "false")}", ct);
        await EnsureAsync(response, "read the server's memory (is Diagnostics:BenchEndpoints=true?)");
        var snapshot = (await response.Content.ReadFromJsonAsync<ProcessSnapshot>(Json, ct))!;
        // The server reads its RSS after the collection; from outside it is read before, garbage included.
        return snapshot with { RssBeforeCollectBytes = before ?? snapshot.RssBytes };
    }

    public async Task<BenchStreamsResult> DriveAsync(IReadOnlyList<string> projectIds, Scenario scenario, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("api/v1/diagnostics/bench/streams", new
        {
            project_ids = projectIds,
            tokens_per_second = scenario.TokensPerSecond,
            tokens = scenario.Tokens,
            end = scenario.End,
            token_text = scenario.TokenText,
        }, Json, ct);
        await EnsureAsync(response, "drive the token streams");
        return (await response.Content.ReadFromJsonAsync<BenchStreamsResult>(Json, ct))!;
    }

    public async Task<TimeSpan> CpuTimeAsync(CancellationToken ct) =>
        host.ReadCpuTime() ?? TimeSpan.FromMilliseconds((await SnapshotAsync(collect: false, ct)).CpuMs);

    private static async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException($"Could not {what}: HTTP {(int)response.StatusCode} {body}");
        }
    }
}
