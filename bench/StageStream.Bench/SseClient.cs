using System.Buffers.Text;
using System.Net;

namespace StageStream.Bench;

/// <summary>
/// One SSE connection with a lean reader: the client runs on the same 2 cores as the server, so it
/// parses only what the figures need (the <c>id:</c> line, the message type at the start of the JSON
/// and the length of a token's <c>content</c>) and never decodes the JSON or allocates per message.
/// A token message whose content is several bench tokens long is a merged message: it stands for that
/// many tokens, the last of which has its id (see docs/sse-protocol.md).
/// </summary>
public sealed class SseClient(string projectId, int expectedEvents, int tokenBytes = 3)
{
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _received;

    public string ProjectId { get; } = projectId;

    /// <summary>Ids of the messages received (not <c>connected</c> or <c>stream_end</c>), in arrival order.</summary>
    public List<long> Ids { get; } = new(expectedEvents);

    /// <summary>For each message of <see cref="Ids"/>: how many events it stands for (more than 1 for a merged token message).</summary>
    public List<int> Counts { get; } = new(expectedEvents);

    /// <summary>For each message of <see cref="Ids"/>: when it arrived (ms since the epoch).</summary>
    public List<double> ReceivedAtMs { get; } = new(expectedEvents);

    /// <summary>For each message of <see cref="Ids"/>: its <c>published_at_ms</c> (0 if none), for servers whose driver does not return publish times.</summary>
    public List<long> PublishedAtMs { get; } = new(expectedEvents);

    /// <summary>Token messages that stood for more than one token.</summary>
    public int MergedMessages { get; private set; }

    /// <summary>Bytes of token messages as they came over the wire (id and data lines, the blank line), and how many tokens they stood for.</summary>
    public long TokenMessageBytes { get; private set; }
    public long TokensReceived { get; private set; }

    /// <summary>The size of the last token message.</summary>
    public int LastTokenMessageBytes { get; private set; }

    public int Received => Volatile.Read(ref _received);

    /// <summary>Completes when the <c>connected</c> message has arrived (faults if the connection failed first).</summary>
    public Task Connected => _connected.Task;

    /// <summary>Completes when the stream is over: <c>stream_end</c> read, closed by the server, failed or cancelled.</summary>
    public Task Ended => _ended.Task;

    public bool StreamEnded { get; private set; }
    public string? Failure { get; private set; }
    public int Heartbeats { get; private set; }

    /// <summary>Wall clock (ms since the epoch) when the last event arrived.</summary>
    public double LastReceivedAtMs { get; private set; }

    /// <summary>Publish-to-receive latency of the last event (for a broadcast: of the broadcast itself), once worked out.</summary>
    public double LastLatencyMs { get; set; } = double.NaN;

    public static double NowMs() => (DateTime.UtcNow.Ticks - UnixEpochTicks) / (double)TimeSpan.TicksPerMillisecond;

    public async Task RunAsync(HttpClient http, Uri url, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url)
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Fail($"HTTP {(int)response.StatusCode}");
                return;
            }
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            await ReadAsync(stream, ct);
            if (!StreamEnded && Failure is null && !ct.IsCancellationRequested)
            {
                Fail("closed by the server before stream_end");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            Fail(e.Message);
        }
        finally
        {
            _connected.TrySetException(new InvalidOperationException(Failure ?? "The stream ended before the connected message."));
            _ended.TrySetResult();
        }
    }

    private void Fail(string reason)
    {
        Failure ??= reason;
        _connected.TrySetException(new InvalidOperationException(reason));
    }

    private async Task ReadAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[4096];
        var filled = 0;
        var scanFrom = 0;
        while (!StreamEnded)
        {
            if (filled == buffer.Length)
            {
                // One message larger than the buffer (a long full_text): grow, never drop.
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            var read = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            if (read == 0)
            {
                return;
            }
            filled += read;
            var now = NowMs();
            var start = 0;
            while (true)
            {
                var end = buffer.AsSpan(scanFrom, filled - scanFrom).IndexOf("\n\n"u8);
                if (end < 0)
                {
                    scanFrom = Math.Max(start, filled - 1);
                    break;
                }
                end += scanFrom;
                OnMessage(buffer.AsSpan(start, end - start), now);
                start = end + 2;
                scanFrom = start;
            }
            if (start > 0)
            {
                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
                scanFrom -= start;
            }
        }
    }

    private void OnMessage(ReadOnlySpan<byte> message, double now)
    {
        var length = message.Length + 2;
        long id = -1;
        ReadOnlySpan<byte> data = default;
        var sawData = false;
        while (!message.IsEmpty)
        {
            var newline = message.IndexOf((byte)'\n');
            var line = newline < 0 ? message : message[..newline];
            message = newline < 0 ? default : message[(newline + 1)..];
            if (line.StartsWith("id: "u8))
            {
                Utf8Parser.TryParse(line[4..], out id, out _);
            }
            else if (line.StartsWith("data: "u8))
            {
                data = line[6..];
                sawData = true;
            }
            else if (line.StartsWith(": heartbeat"u8))
            {
                Heartbeats++;
            }
        }
        if (!sawData)
        {
            return;
        }
        var type = TypeOf(data);
        if (type.SequenceEqual("connected"u8))
        {
            _connected.TrySetResult();
            return;
        }
        if (type.SequenceEqual("stream_end"u8))
        {
            StreamEnded = true;
            _ended.TrySetResult();
            return;
        }
        var count = 1;
        if (type.SequenceEqual("token"u8))
        {
            count = Math.Max(1, ContentOf(data).Length / tokenBytes);
            TokenMessageBytes += length;
            LastTokenMessageBytes = length;
            TokensReceived += count;
            if (count > 1)
            {
                MergedMessages++;
            }
        }
        var at = data.LastIndexOf("\"published_at_ms\":"u8);
        Utf8Parser.TryParse(at < 0 ? default : data[(at + "\"published_at_ms\":".Length)..], out long publishedAtMs, out _);
        Ids.Add(id);
        Counts.Add(count);
        ReceivedAtMs.Add(now);
        PublishedAtMs.Add(publishedAtMs);
        LastReceivedAtMs = now;
        Interlocked.Add(ref _received, count);
    }

    /// <summary>The raw value of <c>"content"</c> (the bench's tokens need no escapes).</summary>
    private static ReadOnlySpan<byte> ContentOf(ReadOnlySpan<byte> data)
    {
        var at = data.IndexOf("\"content\":\""u8);
        if (at < 0)
        {
            return default;
        }
        var rest = data[(at + 11)..];
        var quote = rest.IndexOf((byte)'"');
        return quote < 0 ? default : rest[..quote];
    }

    /// <summary>The value of <c>"type"</c>, the first property of every message.</summary>
    private static ReadOnlySpan<byte> TypeOf(ReadOnlySpan<byte> data)
    {
        var at = data.IndexOf("\"type\":\""u8);
        if (at < 0)
        {
            return default;
        }
        var rest = data[(at + 8)..];
        var quote = rest.IndexOf((byte)'"');
        return quote < 0 ? default : rest[..quote];
    }
}
