using System.Text.Json;
using Microsoft.Playwright;
using StageStream.Core.Events;
using StageStream.Tests.Infrastructure;
using StageStream.Tests.Streaming;
using Xunit.Abstractions;

namespace StageStream.Tests.JsClient;

/// <summary>
/// The JavaScript client in Chromium against the real application's stream endpoint, through a proxy
/// that cuts the first connection mid-stream: the client reconnects and ends with no text missing.
/// The page comes from the fake server's origin, so the stream is a cross-origin request.
/// </summary>
public sealed class JsClientRealServerTests(JsClientBrowser browser, ITestOutputHelper output) : IClassFixture<JsClientBrowser>
{
    [Fact]
    public async Task ClientCutOffByTheNetworkReconnectsAndEndsWithTheWholeRewrite()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var run = EventScript.NewRunId();
        var pieces = Enumerable.Range(1, 60).Select(i => i % 9 == 0 ? $"第{i}句，狐狸提着灯笼。" : $"word{i} ").ToList();

        // Part of the run is already in the log when the page connects (replayed), the rest arrives live.
        await script.StageUpdateAsync("rewrite", run, "processing");
        foreach (var piece in pieces.Take(10))
        {
            await script.TokenAsync("rewrite", run, piece);
        }

        await using var proxy = await CuttingProxy.StartAsync(app.BaseAddress, cutFirstResponseAfterFrames: 25);
        var page = await browser.OpenHarnessAsync(output.WriteLine);
        await page.EvaluateAsync(
            "([project, base]) => window.startRun('real', 'stage', project, { baseUrl: base })",
            new object[] { projectId, proxy.BaseUrl });

        foreach (var piece in pieces.Skip(10))
        {
            await script.TokenAsync("rewrite", run, piece);
            await Task.Delay(15);
        }
        await script.StageUpdateAsync("rewrite", run, "completed");
        var done = await script.DoneAsync("rewrite", run, string.Concat(pieces));

        await page.WaitForFunctionAsync("() => window.runs.real.closed > 0", null, new() { Timeout = 20_000, PollingInterval = 50 });
        var events = (await page.EvaluateAsync<JsonElement>("() => window.runs.real.events")).EnumerateArray().ToList();
        output.WriteLine(string.Join(" ", events.Select(e => e.GetProperty("name").GetString())));

        var requests = proxy.Requests;
        Assert.Equal(2, requests.Count);
        Assert.True(requests[0].Cut);
        var failure = Assert.Single(events, e => Name(e) == "transport_error");
        var resumeFrom = failure.GetProperty("data").GetProperty("lastEventId").GetString();
        Assert.Equal(resumeFrom, requests[1].LastEventIdQuery);
        Assert.Equal(200, requests[1].Status);

        var text = string.Concat(pieces);
        var tokens = events.Where(e => Name(e) == "token").Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(text, string.Concat(tokens.Select(t => t.GetProperty("content").GetString())));
        Assert.Equal(text, tokens[^1].GetProperty("full_text").GetString());
        var doneEvent = Assert.Single(events, e => Name(e) == "done");
        Assert.Equal(text, doneEvent.GetProperty("data").GetProperty("full_text").GetString());
        Assert.Equal(done.Id.ToString(), doneEvent.GetProperty("id").GetString());
        // connected and stream_end repeat ids the stream already has (where it starts, where it ended).
        var ids = events.Where(e => Name(e) == "message" && e.GetProperty("data").GetProperty("type").GetString() is not ("connected" or "stream_end"))
            .Select(e => long.Parse(e.GetProperty("id").GetString()!)).ToList();
        Assert.Equal(ids.Distinct().Order(), ids);

        var close = events[^1];
        Assert.Equal("close", Name(close));
        Assert.Equal("stream_end", close.GetProperty("data").GetProperty("reason").GetString());

        // Connecting again from the end: nothing is new, the server answers 204 and the session closes.
        await page.EvaluateAsync("() => { const c = window.runs.real.client; c.connect(c.url); }");
        await page.WaitForFunctionAsync("() => window.runs.real.closed === 2", null, new() { Timeout = 10_000 });
        var last = (await page.EvaluateAsync<JsonElement>("() => window.runs.real.events")).EnumerateArray().Last();
        Assert.Equal("server_closed", last.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal(204, proxy.Requests[^1].Status);
        await page.CloseAsync();
    }

    [Fact]
    public async Task LeanClientCutOffByTheNetworkEndsWithTheWholeTextFromContentsAndOneFullTextPerConnection()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var script = new EventScript(app.Service<IEventPublisher>(), projectId);
        var run = EventScript.NewRunId();
        var pieces = Enumerable.Range(1, 50).Select(i => i % 7 == 0 ? $"第{i}句。" : $"w{i} ").ToList();
        await script.StageUpdateAsync("rewrite", run, "processing");
        foreach (var piece in pieces.Take(10))
        {
            await script.TokenAsync("rewrite", run, piece);
        }

        await using var proxy = await CuttingProxy.StartAsync(app.BaseAddress, cutFirstResponseAfterFrames: 20);
        var page = await browser.OpenHarnessAsync(output.WriteLine);
        await page.EvaluateAsync(
            "([project, base]) => window.startRun('lean', 'stage', project, { baseUrl: base, lean: true })",
            new object[] { projectId, proxy.BaseUrl });
        // The rest goes out live once the replay has arrived, so the proxy's cut falls among live tokens.
        await page.WaitForFunctionAsync("() => window.runs.lean.events.some(e => e.name === 'token')", null, new() { Timeout = 20_000, PollingInterval = 50 });
        foreach (var piece in pieces.Skip(10))
        {
            await script.TokenAsync("rewrite", run, piece);
            await Task.Delay(15);
        }
        var text = string.Concat(pieces);
        await script.DoneAsync("rewrite", run, text);

        await page.WaitForFunctionAsync("() => window.runs.lean.closed > 0", null, new() { Timeout = 20_000, PollingInterval = 50 });
        var events = (await page.EvaluateAsync<JsonElement>("() => window.runs.lean.events")).EnumerateArray().ToList();
        Assert.Equal(2, proxy.Requests.Count);
        Assert.All(proxy.Requests, r => Assert.Contains("full_text=none", r.PathAndQuery));
        Assert.Equal(text, await page.EvaluateAsync<string>("() => window.runs.lean.client.textOf('rewrite')"));

        // Only the first token of each connection carries full_text: the text so far, from which the client goes on.
        var tokens = events.Where(e => Name(e) == "token").Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(text, string.Concat(tokens.Select(t => t.GetProperty("content").GetString())));
        // The replay at connect (the 10 tokens published before) came as one message.
        Assert.Equal(string.Concat(pieces.Take(10)), tokens[0].GetProperty("content").GetString());
        var withText = tokens.Select((t, i) => (t, i)).Where(p => p.t.TryGetProperty("full_text", out _)).ToList();
        Assert.InRange(withText.Count, 1, 2);
        Assert.All(withText, p => Assert.Equal(
            string.Concat(tokens.Take(p.i + 1).Select(t => t.GetProperty("content").GetString())), p.t.GetProperty("full_text").GetString()));
        await page.CloseAsync();
    }

    private static string? Name(JsonElement recorded) => recorded.GetProperty("name").GetString();
}
