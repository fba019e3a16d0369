using Microsoft.AspNetCore.Hosting;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StageStream.Tests.OpenAI;

/// <summary>
/// A stand-in for the paid vendors: real HTTP on loopback speaking their protocols (chat completions as SSE,
/// images, speech, OpenAI videos, Volcengine Ark Seedance tasks). Tests queue the next answers of each route.
/// </summary>
public sealed class FakeVendorServer : IAsyncDisposable
{
    public const string ApiKey = "sk-test-fake-vendor-key-0123456789";

    /// <summary>Chunks as vendors write them: UTF-8 as is (not \u escapes), so a split can fall inside a character.</summary>
    public static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication _app;
    private int _jobs;

    private FakeVendorServer(WebApplication app) => _app = app;

    /// <summary>Known once started (the port is chosen by the system).</summary>
    public Uri Root => field ??= new Uri(
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");

    /// <summary>What <c>Providers:OpenAI:BaseUrl</c> is set to.</summary>
    public string BaseUrl => Root + "v1";

    public ConcurrentQueue<Func<HttpContext, Task>> ChatReplies { get; } = new();
    public ConcurrentQueue<Func<HttpContext, Task>> ImageReplies { get; } = new();

    /// <summary>The states a new video job goes through, one per poll; the last one repeats.</summary>
    public ConcurrentQueue<JsonObject[]> VideoScripts { get; } = new();

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    public ConcurrentDictionary<string, FakeJob> Jobs { get; } = new();

    /// <summary>What <c>/audio/speech</c> answers with (tests set a real WAV).</summary>
    public byte[] SpeechBytes { get; set; } = [];

    /// <summary>The bytes of every clip (tests may set a real MP4).</summary>
    public byte[] VideoBytes { get; set; } = "fake-mp4"u8.ToArray();

    public Dictionary<string, byte[]> Files { get; } = new();

    public IEnumerable<RecordedRequest> ChatRequests => Requests.Where(r => r.Path.EndsWith("/chat/completions"));

    public static async Task<FakeVendorServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeVendorServer(app);
        server.Map(app);
        await app.StartAsync();
        return server;
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var body = "";
            if (context.Request.ContentType?.StartsWith("application/json") == true)
            {
                body = await new StreamReader(context.Request.Body).ReadToEndAsync();
                context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
            }
            var auth = context.Request.Headers.Authorization.ToString();
            Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path, auth, body, context.Request.ContentType));
            if (!context.Request.Path.StartsWithSegments("/files") && auth != "Bearer " + ApiKey)
            {
                await Error(401, "Incorrect API key provided: " + Mask(auth), code: "invalid_api_key")(context);
                return;
            }
            await next(context);
        });
        app.MapPost("/v1/chat/completions", context => (ChatReplies.TryDequeue(out var reply) ? reply : Sse("OK"))(context));
        app.MapPost("/v1/audio/speech", () => Results.Bytes(SpeechBytes, "audio/wav"));
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = "fake-chat", @object = "model" } } }));
        app.MapPost("/v1/images/generations", context =>
            (ImageReplies.TryDequeue(out var reply) ? reply : ImageB64(Png(64, 64, 0xFF3366CC)))(context));
        app.MapGet("/files/{name}", (string name) =>
            Files.TryGetValue(name, out var bytes) ? Results.Bytes(bytes, name.EndsWith(".mp4") ? "video/mp4" : "application/octet-stream") : Results.NotFound());

        // OpenAI videos
        app.MapPost("/v1/videos", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            var job = NewJob(form.ToDictionary(f => f.Key, f => f.Value.ToString()), form.Files.Select(f => (f.Name, f.FileName, f.Length)).ToList());
            return Results.Json(job.Current(), Json);
        });
        app.MapGet("/v1/videos/{id}", (string id) => Jobs.TryGetValue(id, out var job) ? Results.Json(job.Next(), Json) : Results.NotFound());
        app.MapGet("/v1/videos/{id}/content", (string id) => Jobs.ContainsKey(id) ? Results.Bytes(VideoBytes, "video/mp4") : Results.NotFound());

        // Volcengine Ark (Seedance)
        app.MapPost("/v1/contents/generations/tasks", async (HttpContext context) =>
        {
            var body = await JsonNode.ParseAsync(context.Request.Body);
            var job = NewJob(new Dictionary<string, string> { ["body"] = body!.ToJsonString() }, []);
            return Results.Json(new { id = job.Id }, Json);
        });
        app.MapGet("/v1/contents/generations/tasks/{id}", (string id) =>
        {
            if (!Jobs.TryGetValue(id, out var job))
            {
                return Results.NotFound();
            }
            var state = job.Next();
            if (state["status"]?.ToString() == "succeeded")
            {
                Files[$"{id}.mp4"] = VideoBytes;
                state["content"] = new JsonObject { ["video_url"] = Root + $"files/{id}.mp4" };
            }
            return Results.Json(state, Json);
        });
    }

    private FakeJob NewJob(Dictionary<string, string> fields, List<(string Name, string FileName, long Length)> files)
    {
        var id = $"job_{Interlocked.Increment(ref _jobs)}";
        var script = VideoScripts.TryDequeue(out var s) ? s : [State("queued"), State("completed", 100)];
        var job = new FakeJob(id, script, fields, files);
        Jobs[id] = job;
        return job;
    }

    public static JsonObject State(string status, int? progress = null, string? error = null)
    {
        var state = new JsonObject { ["status"] = status };
        if (progress is not null)
        {
            state["progress"] = progress;
        }
        if (error is not null)
        {
            state["error"] = new JsonObject { ["code"] = "fake_error", ["message"] = error };
        }
        return state;
    }

    // ---- reply builders ----

    /// <summary>A streamed chat answer, one SSE event per delta, as providers.md shows them.</summary>
    /// <remarks>As providers.md shows: the last content chunk carries <c>finish_reason: "stop"</c>.</remarks>
    public static Func<HttpContext, Task> Sse(params string[] deltas) =>
        SseWrites(deltas.Select((d, i) => Encoding.UTF8.GetBytes(ChunkFrame(d, i == deltas.Length - 1 ? "stop" : null))), null, finishChunk: false);

    /// <summary>
    /// Writes each piece of bytes separately (flushed, with a pause), then (unless the pieces carried it) a
    /// chunk with the finish reason, the usage chunk and [DONE].
    /// </summary>
    public static Func<HttpContext, Task> SseWrites(
        IEnumerable<byte[]> writes, Func<int, Task>? beforeWrite, TimeSpan? gap = null, bool finishChunk = true) => async context =>
    {
        context.Response.ContentType = "text/event-stream";
        await context.Response.StartAsync();
        var index = 0;
        var body = context.Response.Body;
        foreach (var piece in writes.Prepend(Encoding.UTF8.GetBytes(RoleFrame())))
        {
            if (beforeWrite is not null)
            {
                await beforeWrite(index);
            }
            await body.WriteAsync(piece);
            await body.FlushAsync();
            index++;
            await Task.Delay(gap ?? TimeSpan.FromMilliseconds(5));
        }
        if (finishChunk)
        {
            await body.WriteAsync(Encoding.UTF8.GetBytes(FinishFrame()));
        }
        await body.WriteAsync(Encoding.UTF8.GetBytes(UsageFrame()));
        await body.WriteAsync("data: [DONE]\n\n"u8.ToArray());
        await body.FlushAsync();
    };

    public static string ChunkFrame(string content, string? finishReason = null) => Frame(new JsonObject
    {
        ["index"] = 0,
        ["delta"] = new JsonObject { ["content"] = content },
        ["finish_reason"] = finishReason,
    });

    private static string RoleFrame() => Frame(new JsonObject
    {
        ["index"] = 0,
        ["delta"] = new JsonObject { ["role"] = "assistant", ["content"] = "" },
        ["finish_reason"] = null,
    });

    private static string FinishFrame() => Frame(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["finish_reason"] = "stop" });

    private static string UsageFrame() => "data: " + new JsonObject
    {
        ["id"] = "chatcmpl-fake",
        ["object"] = "chat.completion.chunk",
        ["created"] = 1764400000,
        ["model"] = "fake-chat",
        ["choices"] = new JsonArray(),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 },
    }.ToJsonString(Json) + "\n\n";

    private static string Frame(JsonObject choice) => "data: " + new JsonObject
    {
        ["id"] = "chatcmpl-fake",
        ["object"] = "chat.completion.chunk",
        ["created"] = 1764400000,
        ["model"] = "fake-chat",
        ["choices"] = new JsonArray { choice },
    }.ToJsonString(Json) + "\n\n";

    /// <summary>An OpenAI-style error body with the given status (and Retry-After, for 429).</summary>
    public static Func<HttpContext, Task> Error(int status, string message, string? retryAfter = null, string code = "fake") => async context =>
    {
        context.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }
        await context.Response.WriteAsJsonAsync(new { error = new { message, type = "invalid_request_error", code } });
    };

    /// <summary>Answers nothing for <paramref name="delay"/> (a hung upstream), then fails.</summary>
    public static Func<HttpContext, Task> Stall(TimeSpan delay) => async context =>
    {
        try
        {
            await Task.Delay(delay, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await Error(500, "stalled")(context);
    };

    public static Func<HttpContext, Task> ImageB64(byte[] image) => context =>
        context.Response.WriteAsJsonAsync(new { created = 1764400000, data = new[] { new { b64_json = Convert.ToBase64String(image) } } });

    /// <summary>Answers with a URL on this server that serves <paramref name="image"/> without a key.</summary>
    public Func<HttpContext, Task> ImageUrl(byte[] image)
    {
        var name = $"image-{Guid.NewGuid():N}.jpg";
        Files[name] = image;
        return context => context.Response.WriteAsJsonAsync(new { created = 1764400000, data = new[] { new { url = Root + "files/" + name } } });
    }

    public static byte[] Png(int width, int height, uint color) => Encode(width, height, color, SkiaSharp.SKEncodedImageFormat.Png);

    public static byte[] Jpeg(int width, int height, uint color) => Encode(width, height, color, SkiaSharp.SKEncodedImageFormat.Jpeg);

    private static byte[] Encode(int width, int height, uint color, SkiaSharp.SKEncodedImageFormat format)
    {
        using var bitmap = new SkiaSharp.SKBitmap(width, height);
        bitmap.Erase(new SkiaSharp.SKColor(color));
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    private static string Mask(string auth) => auth.Length > 12 ? auth[7..9] + "***" + auth[^2..] : "***";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record RecordedRequest(string Method, string Path, string Authorization, string Body, string? ContentType);

/// <summary>A video job: each poll moves one state on, the last repeats.</summary>
public sealed class FakeJob(string id, JsonObject[] states, Dictionary<string, string> fields, List<(string Name, string FileName, long Length)> files)
{
    private int _index;

    public string Id => id;
    public Dictionary<string, string> Fields => fields;
    public List<(string Name, string FileName, long Length)> Files => files;
    public int Polls => _index;

    public JsonObject Current()
    {
        var state = states[Math.Min(_index, states.Length - 1)].DeepClone().AsObject();
        state["id"] = id;
        state["object"] = "video";
        return state;
    }

    public JsonObject Next()
    {
        Interlocked.Increment(ref _index);
        return Current();
    }
}
