using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StageStream.Tests.JsClient;

/// <summary>
/// A small real SSE server on loopback that speaks the StageStream protocol (ids, <c>retry</c>,
/// <c>connected</c>, replay after <c>Last-Event-ID</c> / <c>?lastEventId=</c>, <c>stream_end</c>, 204 for an
/// ended stream) and can misbehave on purpose (drop a connection mid-stream, refuse reconnects).
/// It lets the JavaScript client be tested on its own, apart from the application's stream endpoint.
/// It listens on two ports: the test page comes from <see cref="PageOrigin"/>, the streams from
/// <see cref="StreamOrigin"/>, so every stream is a cross-origin request as for another front end.
/// </summary>
public sealed class FakeSseServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakeStream> _streams = new();

    private FakeSseServer(WebApplication app) => _app = app;

    public Uri PageOrigin { get; private set; } = null!;
    public Uri StreamOrigin { get; private set; } = null!;

    /// <summary>The stream's base URL for the client's <c>baseUrl</c> option (no trailing slash).</summary>
    public string StreamBaseUrl => StreamOrigin.GetLeftPart(UriPartial.Authority);

    public static async Task<FakeSseServer> StartAsync(string modulePath, string pagePath)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        var server = new FakeSseServer(app);

        app.Use(async (context, next) =>
        {
            context.Response.Headers.AccessControlAllowOrigin = "*";
            // No keep-alive: Chromium silently resends a request whose reused socket is reset before any
            // answer, so a refused reconnect on a pooled socket would be seen here twice (once in CI).
            context.Response.Headers.Connection = "close";
            await next(context);
        });
        // Read on every request so a test run always serves the module as it is in the repository.
        app.MapGet("/js/stagestream-sse.js", () => Results.Text(File.ReadAllText(modulePath), "text/javascript; charset=utf-8"));
        app.MapGet("/harness.html", () => Results.Text(File.ReadAllText(pagePath), "text/html; charset=utf-8"));
        app.MapGet("/api/v1/sse/projects/{projectId}/stages/{stage}/", (HttpContext context, string projectId) =>
            server.ServeAsync(context, projectId));
        app.MapGet("/api/v1/sse/projects/{projectId}/", (HttpContext context, string projectId) =>
            server.ServeAsync(context, projectId));

        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).ToArray();
        server.PageOrigin = addresses[0];
        server.StreamOrigin = addresses[1];
        return server;
    }

    /// <summary>Defines what the streams of <paramref name="projectId"/> send (single stage and all stages alike).</summary>
    public FakeStream Define(string projectId, FakeStream stream) =>
        _streams.TryAdd(projectId, stream) ? stream : throw new InvalidOperationException($"{projectId} is defined twice");

    private async Task ServeAsync(HttpContext context, string projectId)
    {
        if (!_streams.TryGetValue(projectId, out var stream))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var query = context.Request.Query["lastEventId"].FirstOrDefault();
        var header = context.Request.Headers["Last-Event-ID"].FirstOrDefault();
        var connection = stream.Record(context.Request.Path, header, query);
        var afterId = long.TryParse(query ?? header, out var parsed) ? parsed : 0;
        var aborted = context.RequestAborted;

        if (connection.Index > 0 && stream.RefuseReconnects)
        {
            // Reset before any response: the browser sees a network error, as when a server is down.
            connection.Outcome = "refused";
            context.Abort();
            return;
        }
        if (stream.EndedAfterId is { } endedAt && afterId >= endedAt)
        {
            connection.Outcome = "204";
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache, no-transform";
        try
        {
            var connected = new JsonObject
            {
                ["type"] = "connected",
                ["project_id"] = projectId,
                ["message"] = "connected",
                ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0,
            };
            await WriteAsync(context, $"retry: 1000\nid: {afterId}\ndata: {connected.ToJsonString()}\n\n", aborted);

            var sent = 0;
            foreach (var message in stream.Events.Where(e => e.Id > afterId))
            {
                if (connection.Index == 0 && sent == stream.DropFirstConnectionAfter)
                {
                    // Let what was written reach the browser, then cut the connection without an end.
                    await Task.Delay(100, aborted);
                    connection.Outcome = "dropped";
                    stream.DroppedAt = DateTimeOffset.UtcNow;
                    context.Abort();
                    return;
                }
                if (sent > 0 && stream.Pace > TimeSpan.Zero)
                {
                    await Task.Delay(stream.Pace, aborted);
                }
                await WriteAsync(context, $"id: {message.Id}\ndata: {message.Data}\n\n", aborted);
                sent++;
            }
            connection.Outcome = "completed";
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            connection.Outcome = "client gone";
        }
    }

    private static async Task WriteAsync(HttpContext context, string text, CancellationToken cancellation)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellation);
        await context.Response.Body.FlushAsync(cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One message of a fake stream's log; <see cref="Data"/> is the raw <c>data:</c> text.</summary>
public sealed record FakeEvent(long Id, string Type, string Data);

/// <summary>A request the fake server received for a stream, and what it did with it.</summary>
public sealed class FakeConnection(int index, DateTimeOffset at, string path, string? lastEventIdHeader, string? lastEventIdQuery)
{
    public int Index { get; } = index;
    public DateTimeOffset At { get; } = at;
    public string Path { get; } = path;
    public string? LastEventIdHeader { get; } = lastEventIdHeader;
    public string? LastEventIdQuery { get; } = lastEventIdQuery;
    public volatile string Outcome = "open";
}

/// <summary>What a fake stream sends, how it misbehaves, and the connections it saw.</summary>
public sealed class FakeStream
{
    private readonly List<FakeConnection> _connections = [];

    public required IReadOnlyList<FakeEvent> Events { get; init; }

    /// <summary>The first connection is cut after sending this many log events (after <c>connected</c>).</summary>
    public int? DropFirstConnectionAfter { get; init; }

    /// <summary>Every connection after the first is reset before a response, so reconnects keep failing.</summary>
    public bool RefuseReconnects { get; init; }

    /// <summary>A request resuming at or after this id gets 204: the stream is over, nothing new to send.</summary>
    public long? EndedAfterId { get; init; }

    /// <summary>Pause between messages, so the stream is live rather than one burst.</summary>
    public TimeSpan Pace { get; init; } = TimeSpan.FromMilliseconds(5);

    public DateTimeOffset? DroppedAt { get; set; }

    public IReadOnlyList<FakeConnection> Connections
    {
        get
        {
            lock (_connections)
            {
                return [.. _connections];
            }
        }
    }

    internal FakeConnection Record(string path, string? header, string? query)
    {
        lock (_connections)
        {
            var connection = new FakeConnection(_connections.Count, DateTimeOffset.UtcNow, path, header, query);
            _connections.Add(connection);
            return connection;
        }
    }
}

/// <summary>Builds a fake stream's log with increasing ids, in the wire shape of StageStream messages.</summary>
public sealed class FakeLog(string projectId, string stage = "rewrite")
{
    private readonly List<FakeEvent> _events = [];
    private readonly StringBuilder _text = new();

    public IReadOnlyList<FakeEvent> Events => _events;

    /// <summary>All token text so far.</summary>
    public string Text => _text.ToString();

    public long LastId => _events.Count == 0 ? 0 : _events[^1].Id;

    public FakeLog Add(string type, params (string Key, JsonNode? Value)[] fields)
    {
        var json = new JsonObject
        {
            ["type"] = type,
            ["project_id"] = projectId,
            ["stage"] = stage,
            ["timestamp"] = 1_790_000_000.5 + _events.Count,
        };
        foreach (var (key, value) in fields)
        {
            json[key] = value;
        }
        return Raw(type, json.ToJsonString());
    }

    /// <summary>A message with any <c>data:</c> text, valid JSON or not.</summary>
    public FakeLog Raw(string type, string data)
    {
        _events.Add(new FakeEvent(LastId + 1, type, data));
        return this;
    }

    public FakeLog Tokens(IEnumerable<string> pieces)
    {
        foreach (var piece in pieces)
        {
            _text.Append(piece);
            Add("token", ("content", piece), ("full_text", Text));
        }
        return this;
    }

    public FakeLog Done() => Add("done", ("full_text", Text), ("result", Text));

    public FakeLog StreamEnd() => Add("stream_end", ("message", "stream ended"));
}
