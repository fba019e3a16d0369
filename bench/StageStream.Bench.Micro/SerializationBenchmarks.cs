using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using StageStream.Core.Events;

namespace StageStream.Bench.Micro;

/// <summary>
/// Once per event: the token message (with its full text) to SSE bytes. The shipped
/// <see cref="SseFormat.Frame(long, StageEvent)"/> against the seed's way (serialize, then concatenate)
/// and against a pooled writer.
/// </summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private StageEvent _token = null!;
    private StageEvent _message = null!;
    private string _fullText = null!;

    /// <summary>Characters of <c>full_text</c>: early in a run, and a few thousand characters in.</summary>
    [Params(16, 2000)]
    public int FullTextChars { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _token = SampleEvents.Token();
        _fullText = SampleEvents.FullText(FullTextChars);
        _message = _token with { FullText = _fullText };
    }

    [Benchmark(Baseline = true, Description = "SerializeToUtf8Bytes + concat (seed)")]
    public byte[] SerializeThenConcat()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(_message, EventJsonContext.Wire.StageEvent);
        var head = Encoding.ASCII.GetBytes($"id: {_message.Id}\ndata: ");
        var frame = new byte[head.Length + json.Length + 2];
        head.CopyTo(frame, 0);
        json.CopyTo(frame, head.Length);
        frame[^2] = (byte)'\n';
        frame[^1] = (byte)'\n';
        return frame;
    }

    [Benchmark(Description = "SseFormat.Frame (shipped)")]
    public byte[] Shipped() => SseFormat.Frame(_message.Id, _message);

    [Benchmark(Description = "pooled writer (proposed)")]
    public byte[] Pooled() => PooledSseFormat.Frame(_message.Id, _message);

    [Benchmark(Description = "new DeliveredEvent(..).Frame, whole per-event cost")]
    public int DeliveredFirstFrame() => new DeliveredEvent(_token, _fullText).Frame.Length;
}

/// <summary>
/// The proposed framing: one reusable buffer and JSON writer per thread, so the only allocation per
/// event is the exact-size frame every subscriber shares.
/// </summary>
public static class PooledSseFormat
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_json;

    public static byte[] Frame(long id, StageEvent message)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        buffer.Write("id: "u8);
        id.TryFormat(buffer.GetSpan(20), out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        buffer.Advance(written);
        buffer.Write("\ndata: "u8);
        var json = t_json ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = EventJsonContext.Wire.Options.Encoder, SkipValidation = true });
        json.Reset(buffer);
        JsonSerializer.Serialize(json, message, EventJsonContext.Wire.StageEvent);
        buffer.Write("\n\n"u8);
        var frame = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 1 << 20)
        {
            t_buffer = null; // do not keep a huge one-off message's buffer per thread
        }
        return frame;
    }
}
