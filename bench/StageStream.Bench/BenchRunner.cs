using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace StageStream.Bench;

/// <summary>Runs the selected scenarios against a started (or given) server and reports each.</summary>
public static class BenchRunner
{
    /// <summary>Entry point shared by Program and the smoke test: runs everything and prints the figures.</summary>
    public static async Task<IReadOnlyList<ScenarioResult>> RunAsync(BenchOptions options, TextWriter output, CancellationToken ct)
    {
        var results = new List<ScenarioResult>();
        var scenarios = options.SelectedScenarios();
        // Each connection is a descriptor here, and one in the server, which inherits this limit (against
        // --url the server may be this very process, as in the smoke test).
        var perConnection = options.Url is null ? 1UL : 2UL;
        if (FileLimit.Ensure((ulong)scenarios.Max(s => s.Connections) * perConnection + 1024) is { } warning)
        {
            await output.WriteLineAsync(warning);
        }
        await output.WriteLineAsync($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; load average {LoadAverage()}");
        if (options.WireBytes)
        {
            return await WireBytes.RunAsync(options, output, ct);
        }
        foreach (var transport in options.Url is null ? options.SelectedTransports() : [options.SelectedTransports()[0]])
        {
            foreach (var scenario in scenarios)
            {
                foreach (var bare in options.Bare && options.Url is null && transport == Transport.InProcess ? new[] { false, true } : [false])
                {
                    // A fresh server per scenario: memory per connection and CPU are not muddied by the last one.
                    await using var host = options.Url is null
                        ? await ServerHost.StartAsync(options, transport, output, ct, bare)
                        : ServerHost.Remote(options.Url);
                    var result = await RunScenarioAsync(host, scenario, transport, options, output, ct, bare);
                    result.Print(output);
                    results.Add(result);
                }
            }
        }
        if (options.JsonPath is not null)
        {
            await File.WriteAllTextAsync(options.JsonPath, JsonSerializer.Serialize(results, new JsonSerializerOptions(ServerApi.Json) { WriteIndented = true }), ct);
        }
        await output.WriteLineAsync($"summary: {results.Count(r => r.Passed)}/{results.Count} scenario runs passed");
        return results;
    }

    /// <summary>The 1-, 5- and 15-minute load averages of the machine (/proc/loadavg), which the figures depend on.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public static async Task<ScenarioResult> RunScenarioAsync(
        ServerHost host, Scenario scenario, Transport transport, BenchOptions options, TextWriter output, CancellationToken ct, bool bare = false)
    {
        using var control = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        using var streams = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        var api = new ServerApi(control, host);
        var latencies = new LatencyHistogram();
        var transportName = transport == Transport.Redis ? "redis" : "in-process";
        if (options.Url is not null)
        {
            transportName = "server's own";
        }
        if (bare)
        {
            transportName = "bare Kestrel";
        }
        var query = options.Lean ? "?full_text=none" : "";

        if (options.WarmUp)
        {
            await WarmUpAsync(host, api, streams, ct);
        }
        await output.WriteLineAsync($"-- {scenario.Name} [{transportName}]: creating {scenario.Projects} project(s)");
        var projectIds = await api.CreateProjectsAsync($"bench-{scenario.Name}", scenario.Projects, ct);
        var baseline = await api.SnapshotAsync(collect: true, ct);

        // Connect everyone, a bounded number at a time; a connection counts once its `connected` message arrived.
        await output.WriteLineAsync($"-- {scenario.Name}: opening {scenario.Connections} SSE connections");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var expectedPerProject = scenario.Tokens + 1 + (scenario.End ? 1 : 0);
        var clients = new List<SseClient>(scenario.Connections);
        var readers = new List<Task>(scenario.Connections);
        var connectClock = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(options.ConnectConcurrency))
        {
            var connecting = new List<Task>(scenario.Connections);
            foreach (var projectId in projectIds)
            {
                var url = new Uri(host.BaseAddress, $"api/v1/sse/projects/{projectId}/stages/rewrite/{query}");
                for (var s = 0; s < scenario.SubscribersPerProject; s++)
                {
                    var client = new SseClient(projectId, expectedPerProject, System.Text.Encoding.UTF8.GetByteCount(scenario.TokenText));
                    clients.Add(client);
                    await gate.WaitAsync(ct);
                    readers.Add(Task.Run(() => client.RunAsync(streams, url, stop.Token), CancellationToken.None));
                    connecting.Add(ReleaseWhenConnected(client, gate));
                }
            }
            await Task.WhenAll(connecting);
        }
        var connectSeconds = connectClock.Elapsed.TotalSeconds;
        var established = clients.Count(c => c.Connected.IsCompletedSuccessfully);
        await output.WriteLineAsync($"-- {scenario.Name}: {established} connected in {connectSeconds:0.00} s; idle 2 s, then measuring");

        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var idle = await api.SnapshotAsync(collect: true, ct);
        if (options.PauseIdleSeconds > 0)
        {
            await output.WriteLineAsync($"-- {scenario.Name}: holding {established} idle connections {options.PauseIdleSeconds} s (server pid {host.ProcessId})");
            await output.FlushAsync(ct);
            await Task.Delay(TimeSpan.FromSeconds(options.PauseIdleSeconds), ct);
        }

        // Drive: server and client CPU over the window from the first publish to the last delivery.
        var serverCpu0 = await api.CpuTimeAsync(ct);
        var clientCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var driveStartMs = SseClient.NowMs();
        await output.WriteLineAsync($"-- {scenario.Name}: driving {scenario.Tokens} token(s) per project at {scenario.TokensPerSecond} tokens/s");
        var drive = api.DriveAsync(projectIds, scenario, ct);
        Task<ProcessSnapshot>? streamingSnapshot = null;
        if (!scenario.Broadcast)
        {
            streamingSnapshot = SnapshotLaterAsync(api, TimeSpan.FromSeconds(scenario.Tokens / scenario.TokensPerSecond / 2), ct);
        }
        var driven = await drive;
        var expectedIds = driven.Projects.ToDictionary(p => p.ProjectId, p => p.EventIds);
        var runs = driven.Projects.ToDictionary(p => p.ProjectId);

        // Wait for delivery: the end of every stream, or for a broadcast every client holding every event.
        var deliveryDeadline = Stopwatch.StartNew();
        var deliveryTimeout = TimeSpan.FromSeconds(30);
        var connected = clients.Where(c => c.Connected.IsCompletedSuccessfully).ToList();
        if (scenario.End)
        {
            await Task.WhenAny(Task.WhenAll(connected.Select(c => c.Ended)), Task.Delay(deliveryTimeout, ct));
        }
        else
        {
            while (deliveryDeadline.Elapsed < deliveryTimeout
                && connected.Any(c => c.Received < expectedIds[c.ProjectId].Count && !c.Ended.IsCompleted))
            {
                await Task.Delay(5, ct);
            }
        }
        var lastReceivedMs = connected.Count == 0 ? driveStartMs : connected.Max(c => c.LastReceivedAtMs);
        var serverCpu1 = await api.CpuTimeAsync(ct);
        var clientCpu1 = Process.GetCurrentProcess().TotalProcessorTime;
        var window = wall.Elapsed.TotalSeconds;
        ProcessSnapshot? afterBroadcast = scenario.Broadcast ? await api.SnapshotAsync(collect: true, ct) : null;
        var mergedFramesBuilt = (afterBroadcast ?? await api.SnapshotAsync(collect: false, ct)).MergedFramesBuilt - idle.MergedFramesBuilt;
        var streaming = streamingSnapshot is null ? null : await streamingSnapshot;

        // Integrity, per client: exactly the project's published ids, each once, in order.
        long lost = 0, duplicated = 0, outOfOrder = 0, unexpected = 0;
        long worstLost = 0, worstDuplicated = 0, worstOutOfOrder = 0;
        var problemClients = 0;
        var notEnded = 0;
        string? firstFailure = null;
        foreach (var client in connected)
        {
            var expected = expectedIds[client.ProjectId];
            var check = Check(Covered(client, runs[client.ProjectId], latencies), expected);
            lost += check.Lost;
            duplicated += check.Duplicated;
            outOfOrder += check.OutOfOrder;
            unexpected += check.Unexpected;
            worstLost = Math.Max(worstLost, check.Lost);
            worstDuplicated = Math.Max(worstDuplicated, check.Duplicated);
            worstOutOfOrder = Math.Max(worstOutOfOrder, check.OutOfOrder);
            var ended = !scenario.End || client.StreamEnded;
            if (!ended)
            {
                notEnded++;
            }
            if (check.Lost + check.Duplicated + check.OutOfOrder + check.Unexpected > 0 || !ended || client.Failure is not null)
            {
                problemClients++;
                firstFailure ??= client.Failure ?? $"project {client.ProjectId}: {check}";
            }
        }

        // Close every stream and wait for the readers to let go.
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        var deliveredTotal = connected.Sum(c => (long)c.Counts.Sum());
        var driveSeconds = Math.Max(0.001, (lastReceivedMs - driveStartMs) / 1000);
        var connections = Math.Max(1, established);
        var result = new ScenarioResult
        {
            Scenario = scenario.Name,
            Transport = transportName,
            Title = scenario.Title,
            ConnectionsWanted = scenario.Connections,
            ConnectionsEstablished = established,
            ConnectFailures = scenario.Connections - established,
            FirstConnectFailure = clients.FirstOrDefault(c => !c.Connected.IsCompletedSuccessfully)?.Failure,
            ConnectSeconds = connectSeconds,
            EventsPublished = driven.Published,
            EventsExpected = connected.Sum(c => (long)expectedIds[c.ProjectId].Count),
            EventsDelivered = deliveredTotal,
            EventsPerSecond = deliveredTotal / driveSeconds,
            DriveSeconds = driveSeconds,
            DriverMaxLagMs = driven.MaxLagMs,
            LatencySamples = latencies.Count,
            LatencyP50Ms = latencies.Percentile(50),
            LatencyP95Ms = latencies.Percentile(95),
            LatencyP99Ms = latencies.Percentile(99),
            LatencyMaxMs = latencies.MaxMs,
            BroadcastAllReceivedMs = scenario.Broadcast && connected.Count > 0 ? connected.Max(c => c.LastLatencyMs) : null,
            BaseRssBytes = baseline.RssBytes,
            BaseHeapBytes = baseline.GcHeapSizeBytes,
            IdleRssBytes = idle.RssBytes,
            BaseRssUncollectedBytes = baseline.RssBeforeCollectBytes,
            IdleRssUncollectedBytes = idle.RssBeforeCollectBytes,
            RssUncollectedPerIdleConnectionBytes = (idle.RssBeforeCollectBytes - baseline.RssBeforeCollectBytes) / (double)connections,
            IdleHeapBytes = idle.GcHeapSizeBytes,
            BaseCommittedBytes = baseline.GcCommittedBytes,
            IdleCommittedBytes = idle.GcCommittedBytes,
            RssPerIdleConnectionBytes = (idle.RssBytes - baseline.RssBytes) / (double)connections,
            HeapPerIdleConnectionBytes = (idle.GcHeapSizeBytes - baseline.GcHeapSizeBytes) / (double)connections,
            StreamingRssBytes = streaming?.RssBeforeCollectBytes,
            AfterBroadcastRssBytes = afterBroadcast?.RssBytes,
            AfterBroadcastHeapBytes = afterBroadcast?.GcHeapSizeBytes,
            ServerGc = idle.ServerGc,
            Gen2Collections = (afterBroadcast ?? idle).Gen2Collections,
            ServerCpuCores = (serverCpu1 - serverCpu0).TotalSeconds / window,
            ClientCpuCores = (clientCpu1 - clientCpu0).TotalSeconds / window,
            ServerCpuMicrosPerEvent = (serverCpu1 - serverCpu0).TotalMicroseconds / Math.Max(1, deliveredTotal),
            Lost = lost,
            Duplicated = duplicated,
            OutOfOrder = outOfOrder,
            Unexpected = unexpected,
            ClientsWithProblems = problemClients,
            WorstClientLost = worstLost,
            WorstClientDuplicated = worstDuplicated,
            WorstClientOutOfOrder = worstOutOfOrder,
            ClientsNotEnded = notEnded,
            FirstClientFailure = firstFailure,
            Messages = connected.Sum(c => (long)c.Ids.Count),
            MergedMessages = connected.Sum(c => (long)c.MergedMessages),
            MergedFramesBuilt = mergedFramesBuilt,
            Lean = options.Lean,
        };
        return Judge(result, scenario, transport, bare);
    }

    /// <summary>
    /// The published ids one client's messages stand for, in arrival order (a merged token message for the tokens it
    /// joins, which end with its id), recording each one's publish-to-receive latency.
    /// </summary>
    internal static List<long> Covered(SseClient client, BenchProjectRun run, LatencyHistogram latencies)
    {
        var index = new Dictionary<long, int>(run.EventIds.Count);
        for (var i = 0; i < run.EventIds.Count; i++)
        {
            index[run.EventIds[i]] = i;
        }
        var covered = new List<long>(run.EventIds.Count);
        for (var m = 0; m < client.Ids.Count; m++)
        {
            var (id, count) = (client.Ids[m], client.Counts[m]);
            if (!index.TryGetValue(id, out var last) || count > last + 1)
            {
                covered.Add(id);
                continue;
            }
            for (var i = last - count + 1; i <= last; i++)
            {
                covered.Add(run.EventIds[i]);
                // An older server's driver returns no publish times: a message's own published_at_ms then.
                var publishedAt = run.PublishedAtMs is { Count: > 0 } times ? times[i] : client.PublishedAtMs[m];
                client.LastLatencyMs = client.ReceivedAtMs[m] - publishedAt;
                latencies.Record(client.LastLatencyMs);
            }
        }
        return covered;
    }

    /// <summary>The targets of issue 7 that apply to the scenario; integrity and connections apply to all.</summary>
    private static ScenarioResult Judge(ScenarioResult r, Scenario scenario, Transport transport, bool bare)
    {
        var c = CultureInfo.InvariantCulture;
        var targets = new List<(string Text, bool Met)>
        {
            ($"all {r.ConnectionsWanted} connections established: {r.ConnectionsEstablished}", r.ConnectionsEstablished == r.ConnectionsWanted),
            ($"zero lost/duplicated/out-of-order/unexpected events, every stream ended: {r.Lost}/{r.Duplicated}/{r.OutOfOrder}/{r.Unexpected}, {r.ClientsNotEnded} not ended", r.IntegrityOk),
        };
        if (bare)
        {
            // The baseline: measured, not judged against StageStream's targets.
        }
        else if (scenario.Name == "d")
        {
            targets.Add(($"p99 <= 100 ms: {r.LatencyP99Ms.ToString("0.0", c)} ms", r.LatencyP99Ms <= 100));
        }
        else if (scenario.Name == "a")
        {
            var limit = transport == Transport.Redis ? 100 : 50;
            targets.Add(($"p99 <= {limit} ms: {r.LatencyP99Ms.ToString("0.0", c)} ms", r.LatencyP99Ms <= limit));
        }
        if (scenario.Name == "b" && !bare)
        {
            targets.Add(($"<= 16 KiB server RSS per idle connection (after a full GC): {(r.RssPerIdleConnectionBytes / 1024).ToString("0.0", c)} KiB", r.RssPerIdleConnectionBytes <= 16 * 1024));
            targets.Add(($"broadcast reaches all within 500 ms: {r.BroadcastAllReceivedMs?.ToString("0.0", c)} ms", r.BroadcastAllReceivedMs <= 500));
        }
        return r with
        {
            Targets = [.. targets.Select(t => $"{(t.Met ? "met   " : "MISSED")} {t.Text}")],
            Passed = targets.All(t => t.Met),
        };
    }

    internal readonly record struct IdCheck(long Lost, long Duplicated, long OutOfOrder, long Unexpected);

    /// <summary>Compares what one client received, in arrival order, with what was published to its project.</summary>
    internal static IdCheck Check(IReadOnlyList<long> received, IReadOnlyList<long> published)
    {
        var expected = published.ToHashSet();
        var seen = new HashSet<long>();
        long duplicated = 0, outOfOrder = 0, unexpected = 0;
        var highest = long.MinValue;
        foreach (var id in received)
        {
            if (!seen.Add(id))
            {
                duplicated++;
                continue;
            }
            if (!expected.Contains(id))
            {
                unexpected++;
            }
            if (id < highest)
            {
                outOfOrder++;
            }
            highest = Math.Max(highest, id);
        }
        var lost = expected.Count(id => !seen.Contains(id));
        return new IdCheck(lost, duplicated, outOfOrder, unexpected);
    }

    /// <summary>
    /// A short stream through the whole path before measuring, so the JIT has compiled (and tiered up)
    /// the hot methods and the figures show the steady state, not start-up.
    /// </summary>
    private static async Task WarmUpAsync(ServerHost host, ServerApi api, HttpClient streams, CancellationToken ct)
    {
        var warmUp = new Scenario("warm-up", "warm-up", 2, 20, 200, 400, End: true, Broadcast: false);
        var projectIds = await api.CreateProjectsAsync("bench-warm-up", warmUp.Projects, ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clients = new List<(SseClient Client, Task Reader)>();
        foreach (var projectId in projectIds)
        {
            var url = new Uri(host.BaseAddress, $"api/v1/sse/projects/{projectId}/stages/rewrite/");
            for (var i = 0; i < warmUp.SubscribersPerProject; i++)
            {
                var client = new SseClient(projectId, warmUp.Tokens + 2);
                clients.Add((client, Task.Run(() => client.RunAsync(streams, url, stop.Token), CancellationToken.None)));
            }
        }
        await Task.WhenAll(clients.Select(c => c.Client.Connected));
        await api.DriveAsync(projectIds, warmUp, ct);
        await Task.WhenAny(Task.WhenAll(clients.Select(c => c.Client.Ended)), Task.Delay(TimeSpan.FromSeconds(10), ct));
        await stop.CancelAsync();
        await Task.WhenAll(clients.Select(c => c.Reader));
    }

    private static async Task ReleaseWhenConnected(SseClient client, SemaphoreSlim gate)
    {
        try
        {
            await client.Connected;
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<ProcessSnapshot> SnapshotLaterAsync(ServerApi api, TimeSpan delay, CancellationToken ct)
    {
        await Task.Delay(delay, ct);
        return await api.SnapshotAsync(collect: false, ct);
    }
}
