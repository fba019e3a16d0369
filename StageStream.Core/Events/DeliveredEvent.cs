using System.Buffers;
using System.Text.Json;

namespace StageStream.Core.Events;

/// <summary>
/// An event as it is written to clients: for a token, with <c>full_text</c> built once in this process.
/// Its JSON and SSE frame are made once and shared by every subscriber.
/// </summary>
public sealed class DeliveredEvent(StageEvent stageEvent, string? fullText = null)
{
    private byte[]? _frame;
    private object? _frameLock;

    public StageEvent Event { get; } = stageEvent;
    public long Id => Event.Id;
    public string Type => Event.Type;

    /// <summary>All text of the run so far, for token events; null otherwise.</summary>
    public string? FullText { get; } = fullText;

    /// <summary>The message clients receive: the event with, for a token, its full text.</summary>
    public StageEvent Message => FullText is null ? Event : Event with { FullText = FullText };

    /// <summary>
    /// <c>id: N</c>, <c>data: json</c> and a blank line, built on first use and then shared. Many
    /// connections ask for it at the same moment, so the build is guarded: one serialization per event.
    /// </summary>
    public ReadOnlyMemory<byte> Frame => LazyInitializer.EnsureInitialized(ref _frame, ref _frameLock, () => SseFormat.Frame(Id, Message));
}

/// <summary>The Server-Sent Events wire format of the seed: <c>data: json</c> lines, no <c>event:</c> field.</summary>
public static class SseFormat
{
    /// <summary>One message: <c>id: N</c>, <c>data: json</c> and the blank line that ends it.</summary>
    public static byte[] Frame(long id, StageEvent message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteIdAndDataPrefix(buffer, id);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = EventJsonContext.Wire.Options.Encoder }))
        {
            JsonSerializer.Serialize(json, message, EventJsonContext.Wire.StageEvent);
        }
        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A message whose JSON is written by <paramref name="writeJson"/> (the server's own <c>connected</c> and <c>stream_end</c>).</summary>
    public static byte[] Frame(long id, Action<Utf8JsonWriter> writeJson)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteIdAndDataPrefix(buffer, id);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = EventJsonContext.Wire.Options.Encoder }))
        {
            writeJson(json);
        }
        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteIdAndDataPrefix(ArrayBufferWriter<byte> buffer, long id)
    {
        buffer.Write("id: "u8);
        var span = buffer.GetSpan(20);
        id.TryFormat(span, out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        buffer.Advance(written);
        buffer.Write("\ndata: "u8);
    }

    public static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();

    public static readonly byte[] Retry = "retry: 1000\n"u8.ToArray();
}
