using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace StageStream.Tests.Streaming;

/// <summary>One SSE message block as it came over the wire, parsed by the test itself.</summary>
public sealed record SseFrame(string? Id, string? Data, int? Retry, IReadOnlyList<string> Comments)
{
    public bool IsComment => Data is null && Id is null && Retry is null;

    public JsonElement Json => JsonDocument.Parse(Data ?? throw new InvalidOperationException("The frame has no data line.")).RootElement;

    public string? Type => Data is null ? null : Json.GetProperty("type").GetString();

    public long IdNumber => long.Parse(Id ?? throw new InvalidOperationException($"The frame has no id line: {this}"));

    public string? Str(string field) => Json.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>
/// A raw reader of a text/event-stream response: real HTTP with ResponseHeadersRead, frames split
/// on blank lines by hand, so the tests see exactly what a browser would.
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;
    private readonly HttpClient? _ownedClient;

    private SseClient(HttpResponseMessage response, Stream body, HttpClient? ownedClient)
    {
        _response = response;
        _reader = new StreamReader(body, Encoding.UTF8);
        _ownedClient = ownedClient;
    }

    public HttpResponseMessage Response => _response;

    public List<SseFrame> Received { get; } = [];

    /// <summary>Opens a stream; the response must be 200. <paramref name="ownConnection"/> gives it a client (and TCP connection) of its own.</summary>
    public static async Task<SseClient> OpenAsync(Uri baseAddress, string path, string? lastEventId = null, bool ownConnection = true,
        HttpClient? client = null, Action<HttpRequestMessage>? configure = null)
    {
        var response = await SendAsync(baseAddress, path, lastEventId, client ??= new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan }, configure);
        if (response.StatusCode != System.Net.HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}");
        }
        var stream = await response.Content.ReadAsStreamAsync();
        return new SseClient(response, stream, ownConnection ? client : null);
    }

    public static async Task<HttpResponseMessage> SendAsync(Uri baseAddress, string path, string? lastEventId, HttpClient client,
        Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, path));
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }
        configure?.Invoke(request);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
    }

    /// <summary>The next frame (comments included), or null when the server ended the response.</summary>
    public async Task<SseFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        string? id = null;
        int? retry = null;
        StringBuilder? data = null;
        var comments = new List<string>();
        var any = false;
        while (true)
        {
            string? line;
            try
            {
                line = await _reader.ReadLineAsync(cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"No complete SSE frame within {timeout ?? TimeSpan.FromSeconds(30)}; received so far: {Received.Count} frames.");
            }
            if (line is null)
            {
                return null;
            }
            if (line.Length == 0)
            {
                if (!any)
                {
                    continue;
                }
                var frame = new SseFrame(id, data?.ToString(), retry, comments);
                Received.Add(frame);
                return frame;
            }
            any = true;
            if (line.StartsWith(':'))
            {
                comments.Add(line[1..].TrimStart());
                continue;
            }
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "retry":
                    retry = int.Parse(value);
                    break;
                case "data":
                    data = data is null ? new StringBuilder(value) : data.Append('\n').Append(value);
                    break;
                default:
                    throw new InvalidOperationException($"Unexpected SSE field '{field}' in line '{line}'.");
            }
        }
    }

    /// <summary>The next frame that carries data (heartbeat comments are skipped but kept in <see cref="Received"/>).</summary>
    public async Task<SseFrame> ReadMessageAsync(TimeSpan? timeout = null)
    {
        // One deadline for the message: heartbeats must not keep a silent stream waiting forever.
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"No message within {timeout ?? TimeSpan.FromSeconds(30)}, only heartbeats; received so far: {Received.Count} frames.");
            }
            var frame = await ReadFrameAsync(left) ?? throw new InvalidOperationException(
                $"The stream ended while a message was expected; received: {string.Join(", ", Received.Select(f => f.Type ?? ": " + string.Join(' ', f.Comments)))}");
            if (!frame.IsComment)
            {
                return frame;
            }
        }
    }

    /// <summary>Every message up to and including <c>stream_end</c>; then checks the server ended the response.</summary>
    public async Task<List<SseFrame>> ReadToStreamEndAsync(TimeSpan? timeout = null)
    {
        var messages = new List<SseFrame>();
        while (true)
        {
            var frame = await ReadMessageAsync(timeout);
            messages.Add(frame);
            if (frame.Type == "stream_end")
            {
                Assert.Null(await ReadFrameAsync(TimeSpan.FromSeconds(10)));
                return messages;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        _ownedClient?.Dispose();
        await Task.CompletedTask;
    }
}

/// <summary>Projects created through the REST API, and helpers shared by the streaming tests.</summary>
public static class StreamTestSupport
{
    public static async Task<string> CreateProjectAsync(HttpClient client, string text = "Once upon a time a fox found a lantern in the snow.")
    {
        var response = await client.PostAsJsonAsync("/api/v1/projects", new { name = "Stream test", original_text = text });
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return json.GetProperty("id").GetString()!;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }
            await Task.Delay(20);
        }
    }
}
