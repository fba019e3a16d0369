using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace StageStream.Bench;

/// <summary>
/// The baseline the issue compares StageStream with: a bare Kestrel fan-out server that serializes each event
/// once, keeps a channel per subscriber, and writes and flushes every event on its own. It answers the same
/// few endpoints the bench uses (projects, the stage stream with the same messages, the bench driver, memory),
/// so one bench run measures both the same way. Started as <c>dotnet StageStream.Bench.dll --bare-server --urls URL</c>.
/// </summary>
public static class BareServer
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly ConcurrentDictionary<string, Project> Projects = new();
    private static int _subscribers;

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/health", () => "ok");
        app.MapPost("/api/v1/projects", () =>
        {
            var id = Guid.NewGuid().ToString("N")[..16];
            Projects[id] = new Project();
            return Results.Json(new { id }, statusCode: 201);
        });
        app.MapGet("/api/v1/sse/projects/{projectId}/stages/{stage}/", StreamAsync);
        app.MapPost("/api/v1/diagnostics/bench/streams", (Delegate)DriveAsync);
        app.MapGet("/api/v1/diagnostics/memory", (bool? collect) => Memory(collect == true));
        await app.RunAsync();
        return 0;
    }

    private static async Task StreamAsync(HttpContext context, string projectId, string stage)
    {
        if (!Projects.TryGetValue(projectId, out var project))
        {
            context.Response.StatusCode = 404;
            return;
        }
        var lean = context.Request.Query["full_text"] == "none";
        var channel = Channel.CreateUnbounded<Frames>(new UnboundedChannelOptions { SingleReader = true });
        project.Add(channel);
        Interlocked.Increment(ref _subscribers);
        try
        {
            context.Response.ContentType = "text/event-stream; charset=utf-8";
            context.Response.Headers.CacheControl = "no-cache";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            var body = context.Response.BodyWriter;
            body.Write("retry: 1000\n"u8);
            body.Write(Frame(0, json => Message(json, "connected", projectId, stage, null)));
            await body.FlushAsync(context.RequestAborted);
            await foreach (var frames in channel.Reader.ReadAllAsync(context.RequestAborted))
            {
                // Write and flush per event: no batching, no merging.
                await body.WriteAsync(lean ? frames.Lean : frames.Full, context.RequestAborted);
                if (frames.Last)
                {
                    await body.WriteAsync(Frame(frames.Id, json => Message(json, "stream_end", projectId, stage, null)), context.RequestAborted);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            project.Remove(channel);
            Interlocked.Decrement(ref _subscribers);
        }
    }

    private sealed record DriveRequest(List<string> ProjectIds, double? TokensPerSecond, int? Tokens, string? TokenText, bool? End);

    private static async Task<IResult> DriveAsync(HttpContext context)
    {
        var request = (await context.Request.ReadFromJsonAsync<DriveRequest>(ServerApi.Json))!;
        var rate = request.TokensPerSecond ?? 50;
        var interval = TimeSpan.FromSeconds(1 / rate);
        var clock = Stopwatch.StartNew();
        var runs = request.ProjectIds.Select((projectId, i) => Task.Run(async () =>
        {
            var project = Projects[projectId];
            var runId = "bench-" + Guid.NewGuid().ToString("N")[..12];
            var text = new System.Text.StringBuilder();
            var ids = new List<long>();
            var times = new List<long>();
            var maxLag = 0.0;
            void Publish(string type, string? content, bool last)
            {
                var id = project.NextId();
                var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                if (content is not null)
                {
                    text.Append(content);
                }
                // Serialized once per event (each form), shared by every subscriber.
                var full = Frame(id, json => Message(json, type, projectId, "rewrite", runId, content, content is null ? null : text.ToString(), at));
                var lean = content is null ? full : Frame(id, json => Message(json, type, projectId, "rewrite", runId, content, null, at));
                project.Deliver(new Frames(id, full, lean, last));
                ids.Add(id);
                times.Add(at);
            }
            Publish("stage_update", null, false);
            var start = clock.Elapsed + interval * i / request.ProjectIds.Count;
            for (var k = 0; k < (request.Tokens ?? 500); k++)
            {
                var due = start + interval * k;
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait);
                }
                maxLag = Math.Max(maxLag, (clock.Elapsed - due).TotalMilliseconds);
                Publish("token", string.IsNullOrEmpty(request.TokenText) ? "词" : request.TokenText, false);
            }
            if (request.End ?? true)
            {
                Publish("done", null, true);
            }
            return (Run: new BenchProjectRun(projectId, runId, ids, times), Lag: maxLag);
        })).ToList();
        var results = await Task.WhenAll(runs);
        return Results.Json(new BenchStreamsResult([.. results.Select(r => r.Run)], results.Sum(r => r.Run.EventIds.Count),
            clock.Elapsed.TotalMilliseconds, results.Max(r => r.Lag)), ServerApi.Json);
    }

    private static IResult Memory(bool collect)
    {
        if (collect)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
        var info = GC.GetGCMemoryInfo();
        using var process = Process.GetCurrentProcess();
        return Results.Json(new ProcessSnapshot(process.WorkingSet64, GC.GetTotalMemory(false), info.HeapSizeBytes, info.TotalCommittedBytes,
            info.FragmentedBytes, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GCSettings.IsServerGC,
            Volatile.Read(ref _subscribers), process.Threads.Count, process.TotalProcessorTime.TotalMilliseconds), ServerApi.Json);
    }

    private static void Message(Utf8JsonWriter json, string type, string projectId, string stage, string? runId,
        string? content = null, string? fullText = null, long? publishedAtMs = null)
    {
        json.WriteStartObject();
        json.WriteString("type", type);
        json.WriteString("project_id", projectId);
        json.WriteString("stage", stage);
        if (runId is not null)
        {
            json.WriteString("run_id", runId);
        }
        json.WriteNumber("timestamp", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        if (content is not null)
        {
            json.WriteString("content", content);
        }
        if (fullText is not null)
        {
            json.WriteString("full_text", fullText);
        }
        if (publishedAtMs is not null)
        {
            json.WriteNumber("published_at_ms", publishedAtMs.Value);
        }
        json.WriteEndObject();
    }

    private static byte[] Frame(long id, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write(System.Text.Encoding.UTF8.GetBytes($"id: {id}\ndata: "));
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(json);
        }
        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private sealed record Frames(long Id, byte[] Full, byte[] Lean, bool Last);

    private sealed class Project
    {
        private readonly Lock _gate = new();
        private Channel<Frames>[] _subscribers = [];
        private long _lastId = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

        public long NextId() => Interlocked.Increment(ref _lastId);

        public void Add(Channel<Frames> channel)
        {
            lock (_gate)
            {
                _subscribers = [.. _subscribers, channel];
            }
        }

        public void Remove(Channel<Frames> channel)
        {
            lock (_gate)
            {
                _subscribers = [.. _subscribers.Where(c => c != channel)];
            }
        }

        public void Deliver(Frames frames)
        {
            foreach (var channel in Volatile.Read(ref _subscribers))
            {
                channel.Writer.TryWrite(frames);
            }
        }
    }
}
