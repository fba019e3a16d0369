using System.Text;
using System.Text.Json;

namespace StageStream.Core.Events;

/// <summary>
/// An event as it is written to clients: for a token, with <c>full_text</c> built once in this process.
/// Its JSON and SSE frame are made once and shared by every subscriber.
/// </summary>
public sealed class DeliveredEvent(StageEvent stageEvent, string? fullText = null)
{
    private byte[]? _frame;

    public StageEvent Event { get; } = stageEvent;
    public long Id => Event.Id;
    public string Type => Event.Type;

    /// <summary>All text of the run so far, for token events; null otherwise.</summary>
    public string? FullText { get; } = fullText;

    /// <summary>The message clients receive: the event with, for a token, its full text.</summary>
    public StageEvent Message => FullText is null ? Event : Event with { FullText = FullText };

    /// <summary><c>id: N</c>, <c>data: json</c> and a blank line, built on first use and then shared.</summary>
    public ReadOnlyMemory<byte> Frame => _frame ??= SseFormat.Frame(Id, Message);
}

/// <summary>The Server-Sent Events wire format of the seed: <c>data: json</c> lines, no <c>event:</c> field.</summary>
public static class SseFormat
{
    public static byte[] Frame(long id, StageEvent message)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(message, EventJsonContext.Wire.StageEvent);
        var head = Encoding.ASCII.GetBytes($"id: {id}\ndata: ");
        var frame = new byte[head.Length + json.Length + 2];
        head.CopyTo(frame, 0);
        json.CopyTo(frame, head.Length);
        frame[^2] = (byte)'\n';
        frame[^1] = (byte)'\n';
        return frame;
    }

    public static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();

    public static readonly byte[] Retry = "retry: 1000\n"u8.ToArray();
}
