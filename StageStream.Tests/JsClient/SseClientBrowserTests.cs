using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using StageStream.Tests.Streaming;
using Xunit.Abstractions;

namespace StageStream.Tests.JsClient;

/// <summary>
/// The real <c>wwwroot/js/stagestream-sse.js</c> in headless Chromium against <see cref="FakeSseServer"/>:
/// the browser's own EventSource, real HTTP, real dropped connections.
/// </summary>
public sealed class SseClientBrowserTests(JsClientBrowser browser, ITestOutputHelper output)
    : IClassFixture<JsClientBrowser>, IAsyncLifetime
{
    private IPage _page = null!;

    private FakeSseServer Server => browser.Server;

    public async Task InitializeAsync() => _page = await browser.OpenHarnessAsync(output.WriteLine);

    public async Task DisposeAsync() => await _page.CloseAsync();

    [Fact]
    public async Task EveryMessageTypeReachesItsOwnListenersAndStreamEndClosesWithoutReconnect()
    {
        var log = new FakeLog("p-types", "pipeline")
            .Add("stage_update", ("status", "processing"), ("progress", 0))
            .Add("progress", ("current", 1), ("total", 2), ("progress", 50), ("message", "half"))
            .Tokens(["从前有座山，", " and a river."])
            .Add("item_completed", ("item_type", "image"), ("sequence_number", 1), ("metadata", new JsonObject { ["url"] = "/media/1.png" }))
            .Add("stage_completed")
            .Done()
            .Add("error", ("error", "image 2 failed"), ("retry_count", 0))
            .Add("pipeline_error", ("error", "stopped"))
            .Add("pipeline_done", ("metadata", new JsonObject { ["completed"] = new JsonArray("rewrite") }))
            .Raw("broken", "{not json")
            .Add("future_type", ("note", "a type this client does not know yet"))
            .StreamEnd();
        var stream = Server.Define("p-types", new FakeStream { Events = log.Events });

        var url = await StartAsync("types", "all", "p-types", new { baseUrl = Server.StreamBaseUrl + "/" }, ["future_type"]);
        await WaitForCloseAsync("types");
        var events = await EventsAsync("types");

        Assert.Equal($"{Server.StreamBaseUrl}/api/v1/sse/projects/p-types/", url);
        var wireTypes = await _page.EvaluateAsync<string[]>("() => Object.values(window.sse.SSE_EVENT_TYPES)");
        Assert.Equal(
            ["connected", "token", "stage_update", "progress", "item_completed", "stage_completed", "done", "error",
             "pipeline_done", "pipeline_error", "stream_end"],
            wireTypes);

        // `message` gets every parsed message in order; the malformed one goes to parse_error instead.
        var messages = events.Where(e => e.Name == "message").ToList();
        Assert.Equal(
            ["connected", .. log.Events.Where(e => e.Type != "broken").Select(e => e.Type)],
            messages.Select(m => m.Type));
        Assert.Equal(
            ["0", .. log.Events.Where(e => e.Type != "broken").Select(e => e.Id.ToString())],
            messages.Select(m => m.Id));
        foreach (var type in wireTypes.Append("future_type"))
        {
            var own = events.Where(e => e.Name == type).ToList();
            Assert.True(own.Count > 0, $"no `{type}` event");
            Assert.Equal(messages.Where(m => m.Type == type).Select(m => m.Id), own.Select(e => e.Id));
            Assert.All(own, e => Assert.Equal(type, e.Type));
        }

        var broken = Assert.Single(events, e => e.Name == "parse_error");
        Assert.Equal("{not json", broken.Data.GetProperty("raw").GetString());
        Assert.Equal(log.Events.Single(e => e.Type == "broken").Id.ToString(), broken.Id);

        var tokens = events.Where(e => e.Name == "token").ToList();
        Assert.Equal(log.Text, string.Concat(tokens.Select(t => t.Data.GetProperty("content").GetString())));
        Assert.All(tokens, t => Assert.True(t.Connected && t.ReadyState == 1));
        Assert.Single(events, e => e.Name == "open");
        Assert.DoesNotContain(events, e => e.Name is "transport_error" or "reconnecting");
        var close = events[^1];
        Assert.Equal("close", close.Name);
        Assert.Equal("stream_end", close.Data.GetProperty("reason").GetString());
        Assert.Equal("stream_end", close.Data.GetProperty("message").GetProperty("type").GetString());
        Assert.Single(events, e => e.Name == "close");

        // The server completes the response after stream_end; the browser would retry it after 1 s if the
        // client had left the EventSource open.
        await Task.Delay(1500);
        var connection = Assert.Single(stream.Connections);
        Assert.Equal("/api/v1/sse/projects/p-types/", connection.Path);
        Assert.Equal("completed", connection.Outcome);
        Assert.Equal(2, await _page.EvaluateAsync<int>("() => window.runs.types.client.getReadyState()"));
        Assert.False(await _page.EvaluateAsync<bool>("() => window.runs.types.client.isConnected()"));
        Assert.Equal(events.Count, (await EventsAsync("types")).Count);
    }

    [Fact]
    public async Task ListenersSurviveADroppedConnectionAndReconnectResumesFromTheLastEventId()
    {
        var log = new FakeLog("p-resume")
            .Add("stage_update", ("status", "processing"))
            .Tokens(Enumerable.Range(1, 40).Select(i => i % 7 == 0 ? $"第{i}句🎬 " : $"词{i}·"))
            .Done()
            .StreamEnd();
        var stream = Server.Define("p-resume", new FakeStream { Events = log.Events, DropFirstConnectionAfter = 16 });

        // Default options: the seed's policy, first retry after 1 s.
        await StartAsync("resume", "stage", "p-resume", new { baseUrl = Server.StreamBaseUrl });
        await WaitForCloseAsync("resume");
        var events = await EventsAsync("resume");

        var connections = stream.Connections;
        Assert.Equal(2, connections.Count);
        Assert.Equal(["dropped", "completed"], connections.Select(c => c.Outcome));
        Assert.Equal("/api/v1/sse/projects/p-resume/stages/rewrite/", connections[0].Path);

        var failure = Assert.Single(events, e => e.Name == "transport_error");
        Assert.True(failure.Data.GetProperty("willRetry").GetBoolean());
        Assert.Equal(0, failure.Data.GetProperty("readyState").GetInt32());
        var before = events.TakeWhile(e => e.Name != "transport_error").Where(e => e.Name == "message" && e.Type != "connected").ToList();
        Assert.NotEmpty(before);
        // The reconnect asked for everything after the last message the client had received.
        Assert.Equal(before[^1].Id, failure.Data.GetProperty("lastEventId").GetString());
        Assert.Equal(before[^1].Id, connections[1].LastEventIdQuery);

        var reconnecting = Assert.Single(events, e => e.Name == "reconnecting");
        Assert.Equal(1, reconnecting.Data.GetProperty("attempt").GetInt32());
        Assert.Equal(1000, reconnecting.Data.GetProperty("delay").GetInt32());
        Assert.InRange((connections[1].At - stream.DroppedAt!.Value).TotalMilliseconds, 900, 3000);

        // The same listeners, attached once, saw both connections: nothing missing, nothing twice.
        var tokens = events.Where(e => e.Name == "token").ToList();
        Assert.Contains(tokens, t => long.Parse(t.Id!) > long.Parse(before[^1].Id!));
        Assert.Equal(log.Text, string.Concat(tokens.Select(t => t.Data.GetProperty("content").GetString())));
        Assert.Equal(log.Text, tokens[^1].Data.GetProperty("full_text").GetString());
        Assert.Equal(log.Text, Assert.Single(events, e => e.Name == "done").Data.GetProperty("full_text").GetString());
        var ids = events.Where(e => e.Name == "message" && e.Type != "connected").Select(e => long.Parse(e.Id!)).ToList();
        Assert.Equal(log.Events.Select(e => e.Id), ids);

        var opens = events.Where(e => e.Name == "open").ToList();
        Assert.Equal([false, true], opens.Select(o => o.Data.GetProperty("reconnected").GetBoolean()));
        Assert.Equal("stream_end", Assert.Single(events, e => e.Name == "close").Data.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ReconnectsAtMostThreeTimesAfterOneTwoAndThreeSecondsThenCloses()
    {
        var log = new FakeLog("p-retries")
            .Add("stage_update", ("status", "processing"))
            .Tokens(["a", "b", "c", "d", "e"])
            .Done()
            .StreamEnd();
        var stream = Server.Define("p-retries", new FakeStream
        {
            Events = log.Events, DropFirstConnectionAfter = 3, RefuseReconnects = true,
        });

        await StartAsync("retries", "stage", "p-retries", new { baseUrl = Server.StreamBaseUrl });
        await WaitForCloseAsync("retries", timeoutMs: 15_000);
        await Task.Delay(500);
        var events = await EventsAsync("retries");

        var connections = stream.Connections;
        Assert.Equal(["dropped", "refused", "refused", "refused"], connections.Select(c => c.Outcome));
        var lastId = Assert.Single(events, e => e.Name == "close").Data.GetProperty("lastEventId").GetString();
        Assert.All(connections.Skip(1), c => Assert.Equal(lastId, c.LastEventIdQuery));

        var gaps = new[]
        {
            connections[1].At - stream.DroppedAt!.Value,
            connections[2].At - connections[1].At,
            connections[3].At - connections[2].At,
        };
        output.WriteLine("gaps between attempts: " + string.Join(", ", gaps.Select(g => $"{g.TotalMilliseconds:F0} ms")));
        foreach (var (gap, expected) in gaps.Zip([1000, 2000, 3000]))
        {
            Assert.InRange(gap.TotalMilliseconds, expected - 50, expected + 3000);
        }

        var reconnecting = events.Where(e => e.Name == "reconnecting").ToList();
        Assert.Equal([1, 2, 3], reconnecting.Select(r => r.Data.GetProperty("attempt").GetInt32()));
        Assert.Equal([1000, 2000, 3000], reconnecting.Select(r => r.Data.GetProperty("delay").GetInt32()));
        var failures = events.Where(e => e.Name == "transport_error").ToList();
        Assert.Equal([true, true, true, false], failures.Select(e => e.Data.GetProperty("willRetry").GetBoolean()));
        // While a reconnect is pending the client reports CONNECTING, then CLOSED once it gives up.
        Assert.Equal([0, 0, 0, 2], failures.Select(e => e.ReadyState));
        Assert.DoesNotContain(events, e => e.Name == "error");

        Assert.Equal("close", events[^1].Name);
        Assert.Equal("retries_exhausted", events[^1].Data.GetProperty("reason").GetString());
        Assert.Single(events, e => e.Name == "close");
        Assert.Equal(2, await _page.EvaluateAsync<int>("() => window.runs.retries.client.getReadyState()"));
    }

    [Fact]
    public async Task NoContentFromTheServerEndsTheStreamAndFiresClose()
    {
        var log = new FakeLog("p-204")
            .Add("stage_update", ("status", "processing"))
            .Tokens(["一", "二", "三"])
            .Done()
            .StreamEnd();
        var doneId = log.Events.Single(e => e.Type == "done").Id;
        // The connection drops after `done`, before `stream_end`: the reconnect finds the stream over.
        var dropped = Server.Define("p-204", new FakeStream
        {
            Events = log.Events, DropFirstConnectionAfter = log.Events.Count - 1, EndedAfterId = doneId,
        });
        // A page reloaded after the end, resuming from an id it had stored.
        var resumed = Server.Define("p-204-resumed", new FakeStream { Events = log.Events, EndedAfterId = doneId });

        await StartAsync("dropped", "stage", "p-204", new { baseUrl = Server.StreamBaseUrl, retryDelays = new[] { 200 } });
        await StartAsync("resumed", "stage", "p-204-resumed", new { baseUrl = Server.StreamBaseUrl, lastEventId = doneId });
        await WaitForCloseAsync("dropped");
        await WaitForCloseAsync("resumed");
        await Task.Delay(1200);

        var events = await EventsAsync("dropped");
        Assert.Equal(["dropped", "204"], dropped.Connections.Select(c => c.Outcome));
        Assert.Equal(doneId.ToString(), dropped.Connections[1].LastEventIdQuery);
        Assert.Single(events, e => e.Name == "done");
        Assert.Equal(
            [(0, true), (2, false)],
            events.Where(e => e.Name == "transport_error")
                .Select(e => (e.Data.GetProperty("readyState").GetInt32(), e.Data.GetProperty("willRetry").GetBoolean())));
        Assert.Equal("close", events[^1].Name);
        Assert.Equal("server_closed", events[^1].Data.GetProperty("reason").GetString());
        Assert.Single(events, e => e.Name == "close");

        var resumedEvents = await EventsAsync("resumed");
        var connection = Assert.Single(resumed.Connections);
        Assert.Equal("204", connection.Outcome);
        Assert.Equal(doneId.ToString(), connection.LastEventIdQuery);
        Assert.Equal(["transport_error", "close"], resumedEvents.Select(e => e.Name));
        Assert.Equal("server_closed", resumedEvents[1].Data.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task TransportErrorsAndServerErrorMessagesAreDistinct()
    {
        FakeStream Define(string projectId) => Server.Define(projectId, new FakeStream
        {
            Events = new FakeLog(projectId)
                .Add("stage_update", ("status", "processing"))
                .Add("error", ("error", "模型超时"), ("retry_count", 0))
                .StreamEnd()
                .Events,
            DropFirstConnectionAfter = 2,
        });
        var plain = Define("p-errors");
        var legacy = Define("p-errors-legacy");
        var noRetry = Define("p-errors-no-retry");

        await StartAsync("errors", "stage", "p-errors", new { baseUrl = Server.StreamBaseUrl, retryDelays = new[] { 100 } });
        await StartAsync("legacy", "stage", "p-errors-legacy",
            new { baseUrl = Server.StreamBaseUrl, retryDelays = new[] { 100 }, legacyErrors = true });
        await StartAsync("no-retry", "stage", "p-errors-no-retry", new { baseUrl = Server.StreamBaseUrl, autoReconnect = false });
        await WaitForCloseAsync("errors");
        await WaitForCloseAsync("legacy");
        await WaitForCloseAsync("no-retry");

        // Default: `error` is only the server's message; the dropped connection is a transport_error.
        var events = await EventsAsync("errors");
        Assert.Equal(2, plain.Connections.Count);
        var serverError = Assert.Single(events, e => e.Name == "error");
        Assert.Equal("error", serverError.Type);
        Assert.Equal("模型超时", serverError.Data.GetProperty("error").GetString());
        Assert.Equal("2", serverError.Id);
        var transport = Assert.Single(events, e => e.Name == "transport_error");
        Assert.Equal("transport_error", transport.Type);
        Assert.True(transport.Data.GetProperty("willRetry").GetBoolean());
        Assert.Equal("stream_end", events[^1].Data.GetProperty("reason").GetString());

        // legacyErrors: old code listening on `error` also hears the connection failure, told apart by `type`.
        var legacyEvents = await EventsAsync("legacy");
        Assert.Equal(2, legacy.Connections.Count);
        Assert.Equal(["error", "transport_error"], legacyEvents.Where(e => e.Name == "error").Select(e => e.Type));
        Assert.Single(legacyEvents, e => e.Name == "transport_error");
        Assert.Equal("stream_end", legacyEvents[^1].Data.GetProperty("reason").GetString());

        // autoReconnect: false: the same drop ends the session, and close still fires.
        var noRetryEvents = await EventsAsync("no-retry");
        Assert.Single(noRetry.Connections);
        Assert.Single(noRetryEvents, e => e.Name == "error");
        Assert.False(Assert.Single(noRetryEvents, e => e.Name == "transport_error").Data.GetProperty("willRetry").GetBoolean());
        Assert.Equal("close", noRetryEvents[^1].Name);
        Assert.Equal("connection_lost", noRetryEvents[^1].Data.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task OffRemovesListenersAndAFailingListenerDisturbsNoOther()
    {
        var log = new FakeLog("p-off");
        foreach (var piece in new[] { "one ", "two ", "three ", "four ", "five" })
        {
            log.Tokens([piece]).Add("progress", ("progress", 20));
        }
        Server.Define("p-off", new FakeStream { Events = log.StreamEnd().Events });

        await _page.EvaluateAsync(
            """
            ([base, project]) => {
              const counts = window.offCounts = { a: 0, b: 0, c: 0, thrower: 0, progress: 0, closes: 0 };
              const client = window.sse.createProjectStageSSE(project, 'rewrite', { baseUrl: base });
              const a = () => { counts.a++; client.off('token', a); };
              const b = () => { counts.b++; };
              client
                .on('token', a)
                .on('token', b)
                .on('token', () => { counts.thrower++; throw new Error('listener failure expected by the test'); })
                .on('token', () => { counts.c++; })
                .off('token', b)
                .off('token', () => {})
                .on('progress', () => { counts.progress++; })
                .on('progress', () => { counts.progress++; })
                .off('progress')
                .on('close', () => { counts.closes++; });
            }
            """,
            new object[] { Server.StreamBaseUrl, "p-off" });
        await _page.WaitForFunctionAsync("() => window.offCounts.closes > 0", null, new() { Timeout = 10_000 });
        await Task.Delay(200);

        var counts = await _page.EvaluateAsync<Dictionary<string, int>>("() => window.offCounts");
        Assert.Equal(1, counts["a"]); // removed itself during dispatch
        Assert.Equal(0, counts["b"]);
        Assert.Equal(5, counts["thrower"]);
        Assert.Equal(5, counts["c"]); // unaffected by the listener before it throwing
        Assert.Equal(0, counts["progress"]);
        Assert.Equal(1, counts["closes"]);
    }

    [Fact]
    public async Task DisconnectFiresCloseOnceAndConnectingAgainResumesWithTheSameListeners()
    {
        var log = new FakeLog("p-disconnect")
            .Add("stage_update", ("status", "processing"))
            .Tokens(Enumerable.Range(1, 20).Select(i => $"t{i} "))
            .Done()
            .StreamEnd();
        var stream = Server.Define("p-disconnect", new FakeStream { Events = log.Events, Pace = TimeSpan.FromMilliseconds(150) });

        await StartAsync("disconnect", "stage", "p-disconnect", new { baseUrl = Server.StreamBaseUrl });
        await _page.WaitForFunctionAsync(
            "() => window.runs.disconnect.events.filter(e => e.name === 'token').length >= 3", null, new() { Timeout = 10_000 });
        var state = await _page.EvaluateAsync<JsonElement>(
            """
            () => {
              const client = window.runs.disconnect.client;
              client.disconnect();
              client.disconnect(); // a second call has nothing left to close
              return { readyState: client.getReadyState(), connected: client.isConnected(), lastEventId: client.lastEventId };
            }
            """);
        Assert.Equal(2, state.GetProperty("readyState").GetInt32());
        Assert.False(state.GetProperty("connected").GetBoolean());

        var afterDisconnect = await EventsAsync("disconnect");
        Assert.Equal("close", afterDisconnect[^1].Name);
        Assert.Equal("disconnect", afterDisconnect[^1].Data.GetProperty("reason").GetString());
        Assert.Single(afterDisconnect, e => e.Name == "close");
        // The server learns of the closed connection a moment later.
        await StreamTestSupport.WaitUntilAsync(() => stream.Connections[0].Outcome != "open", TimeSpan.FromSeconds(10), "the server sees the connection end");
        Assert.Equal("client gone", Assert.Single(stream.Connections).Outcome);

        // connect() to the same URL again continues after the last id, and the listeners are still there.
        await _page.EvaluateAsync("() => { const c = window.runs.disconnect.client; c.connect(c.url); }");
        await _page.WaitForFunctionAsync("() => window.runs.disconnect.closed === 2", null, new() { Timeout = 10_000 });
        var events = await EventsAsync("disconnect");
        Assert.Equal(state.GetProperty("lastEventId").GetString(), stream.Connections[1].LastEventIdQuery);
        var tokens = events.Where(e => e.Name == "token").ToList();
        Assert.Equal(log.Text, string.Concat(tokens.Select(t => t.Data.GetProperty("content").GetString())));
        Assert.Equal("stream_end", events[^1].Data.GetProperty("reason").GetString());
    }

    private async Task<string> StartAsync(string name, string kind, string projectId, object options, string[]? extraTypes = null) =>
        await _page.EvaluateAsync<string>(
            "([name, kind, project, options, extra]) => window.startRun(name, kind, project, options, extra)",
            new object[] { name, kind, projectId, options, extraTypes ?? [] });

    private async Task WaitForCloseAsync(string name, int timeoutMs = 10_000) =>
        await _page.WaitForFunctionAsync("name => window.runs[name].closed > 0", name, new() { Timeout = timeoutMs, PollingInterval = 50 });

    private async Task<List<Recorded>> EventsAsync(string name)
    {
        var json = await _page.EvaluateAsync<JsonElement>("name => window.runs[name].events", name);
        var events = json.EnumerateArray().Select(e => new Recorded(
            e.GetProperty("name").GetString()!,
            e.GetProperty("id").ValueKind == JsonValueKind.String ? e.GetProperty("id").GetString() : null,
            e.GetProperty("data").Clone(),
            e.GetProperty("connected").GetBoolean(),
            e.GetProperty("readyState").GetInt32())).ToList();
        output.WriteLine($"{name}: " + string.Join(" ", events.Select(e => e.Id is null ? e.Name : $"{e.Name}#{e.Id}")));
        return events;
    }

    /// <summary>One event a client raised, as the harness recorded it.</summary>
    private sealed record Recorded(string Name, string? Id, JsonElement Data, bool Connected, int ReadyState)
    {
        public string? Type => Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("type", out var type) ? type.GetString() : null;
    }
}
