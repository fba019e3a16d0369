using System.Globalization;
using System.Net;

namespace StageStream.Bench;

/// <summary>
/// Bytes per token on the wire, default form against lean form (<c>?full_text=none</c>), for a 2 KB and a 30 KB text:
/// one client of each form follows the same run, every token its own message (coalescing is switched off here).
/// </summary>
public static class WireBytes
{
    private static readonly int[] TextSizes = [2 * 1024, 30 * 1024];

    public static async Task<IReadOnlyList<ScenarioResult>> RunAsync(BenchOptions options, TextWriter output, CancellationToken ct)
    {
        var results = new List<ScenarioResult>();
        var c = CultureInfo.InvariantCulture;
        foreach (var size in TextSizes)
        {
            await using var host = options.Url is null
                ? await ServerHost.StartAsync(options, Transport.InProcess, output, ct, settings: ["--Streaming:CoalesceAfterMilliseconds=60000"])
                : ServerHost.Remote(options.Url);
            using var control = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            using var streams = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var api = new ServerApi(control, host);
            // "词" is 3 bytes in UTF-8: the text reaches the size with its last token.
            var scenario = new Scenario($"wire-{size / 1024}k", $"bytes per token for a {size / 1024} KB text", 1, 2, 1000, size / 3, End: true, Broadcast: false);
            var projectId = (await api.CreateProjectsAsync("bench-wire", 1, ct))[0];
            var path = $"api/v1/sse/projects/{projectId}/stages/rewrite/";
            var full = new SseClient(projectId, scenario.Tokens + 2);
            var lean = new SseClient(projectId, scenario.Tokens + 2);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var readers = new[]
            {
                Task.Run(() => full.RunAsync(streams, new Uri(host.BaseAddress, path), stop.Token), CancellationToken.None),
                Task.Run(() => lean.RunAsync(streams, new Uri(host.BaseAddress, path + "?full_text=none"), stop.Token), CancellationToken.None),
            };
            await Task.WhenAll(full.Connected, lean.Connected);
            await api.DriveAsync([projectId], scenario, ct);
            await Task.WhenAny(Task.WhenAll(full.Ended, lean.Ended), Task.Delay(TimeSpan.FromSeconds(60), ct));
            await stop.CancelAsync();
            await Task.WhenAll(readers);

            double PerToken(SseClient client) => client.TokenMessageBytes / (double)Math.Max(1, client.TokensReceived);
            var complete = full.TokensReceived == scenario.Tokens && lean.TokensReceived == scenario.Tokens
                && full.MergedMessages == 0 && lean.MergedMessages == 0;
            var result = new ScenarioResult
            {
                Scenario = scenario.Name,
                Transport = "in-process",
                Title = scenario.Title,
                ConnectionsWanted = 2,
                ConnectionsEstablished = 2,
                EventsExpected = 2L * scenario.Tokens,
                EventsDelivered = full.TokensReceived + lean.TokensReceived,
                TextBytes = size,
                FullBytesPerToken = PerToken(full),
                LeanBytesPerToken = PerToken(lean),
                FullLastTokenBytes = full.LastTokenMessageBytes,
                LeanLastTokenBytes = lean.LastTokenMessageBytes,
                Targets = [$"{(complete ? "met   " : "MISSED")} every token received by both clients, each its own message: {full.TokensReceived}/{lean.TokensReceived} of {scenario.Tokens}"],
                Passed = complete,
            };
            await output.WriteLineAsync($"== {scenario.Name}: {scenario.Tokens} tokens of 3 bytes, text {scenario.Tokens * 3:N0} bytes");
            await output.WriteLineAsync($"   default form  {result.FullBytesPerToken.Value.ToString("N0", c)} bytes per token on average, last token {result.FullLastTokenBytes:N0} bytes, {full.TokenMessageBytes:N0} bytes in all");
            await output.WriteLineAsync($"   lean form     {result.LeanBytesPerToken.Value.ToString("N0", c)} bytes per token on average, last token {result.LeanLastTokenBytes:N0} bytes, {lean.TokenMessageBytes:N0} bytes in all (the first token carries the text so far)");
            await output.WriteLineAsync($"   target        {result.Targets[0]}");
            results.Add(result);
        }
        if (results.Count == 2)
        {
            // Lean: the same bytes per token whatever the text's length (its first token, with full_text, is one in thousands).
            var independent = results[1].LeanLastTokenBytes == results[0].LeanLastTokenBytes;
            var line = $"{(independent ? "met   " : "MISSED")} lean bytes per token independent of the text's length: last token {results[0].LeanLastTokenBytes} bytes at 2 KB, {results[1].LeanLastTokenBytes} bytes at 30 KB";
            await output.WriteLineAsync($"   target        {line}");
            results[1] = results[1] with { Targets = [.. results[1].Targets, line], Passed = results[1].Passed && independent };
        }
        await output.WriteLineAsync();
        return results;
    }
}
