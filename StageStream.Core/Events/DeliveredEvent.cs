using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace StageStream.Core.Events;

/// <summary>
/// An event as it is written to clients: for a token, with <c>full_text</c> built once in this process.
/// Its frames (with and without <c>full_text</c>) are made once, on first use, and shared by every subscriber.
/// </summary>
public sealed class DeliveredEvent
{
    private byte[]? _frame;
    private object? _frameLock;
    private byte[]? _leanFrame;
    private object? _leanFrameLock;
    private string? _fullText;
    // A replay's run text, read as a prefix when (and if) this token's full text is asked for.
    private readonly StringBuilder? _runText;
    private readonly int _runTextLength;
    private MergedFrames? _merged;

    public DeliveredEvent(StageEvent stageEvent, string? fullText = null)
    {
        Event = stageEvent;
        _fullText = fullText;
        DeliveredAt = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// A replayed token whose full text is the first <paramref name="length"/> characters of <paramref name="runText"/>,
    /// made only if asked for: a replay of a long run then costs no copy of the text per token. The builder must only
    /// ever be appended to, and read on the reader's own flow (a replay is enumerated one message at a time).
    /// </summary>
    internal DeliveredEvent(StageEvent stageEvent, StringBuilder runText, int length)
    {
        Event = stageEvent;
        _runText = runText;
        _runTextLength = length;
        DeliveredAt = Stopwatch.GetTimestamp();
        Replayed = true;
    }

    private DeliveredEvent()
    {
        Event = new StageEvent { Type = "", ProjectId = "", Stage = "", RunId = "" };
    }

    /// <summary>Not an event: a reader's signal to check its timers (see <c>EventSubscription.Wake</c>).</summary>
    public static DeliveredEvent WakeUp { get; } = new();

    public StageEvent Event { get; }
    public long Id => Event.Id;
    public string Type => Event.Type;

    /// <summary>
    /// Tokens held by a paced run and handed on as this one event (see <see cref="TokenPacer"/>), in order; null for an
    /// event that stands for itself.
    /// </summary>
    public IReadOnlyList<DeliveredEvent>? Parts { get; private init; }

    /// <summary>The id of the first event this one stands for: its own, or its first part's.</summary>
    public long FirstId => Parts is { } parts ? parts[0].Id : Id;

    /// <summary>Tokens of one run as one event: their contents joined, the last token's id, fields and full text.</summary>
    internal static DeliveredEvent Merge(IReadOnlyList<DeliveredEvent> tokens)
    {
        if (tokens.Count == 1)
        {
            return tokens[0];
        }
        var last = tokens[^1];
        var content = new StringBuilder();
        foreach (var token in tokens)
        {
            content.Append(token.Event.Content);
        }
        return new DeliveredEvent(last.Event with { Content = content.ToString() }, last.FullText)
        {
            TokenIndex = last.TokenIndex,
            Parts = [.. tokens],
        };
    }

    /// <summary>
    /// What of this event comes after <paramref name="lastId"/>: itself, or for merged tokens of which the reader already
    /// has some (it joined while they were held), the rest of them.
    /// </summary>
    internal DeliveredEvent After(long lastId) =>
        Parts is { } parts && parts[0].Id <= lastId ? Merge([.. parts.Where(part => part.Id > lastId)]) : this;

    /// <summary>A token (the only messages that may be merged).</summary>
    public bool IsToken => Event.Type == EventTypes.Token;

    /// <summary>Made for one subscriber's replay rather than delivered live.</summary>
    public bool Replayed { get; init; }

    /// <summary>A live token's place in its run (0 for the first); -1 otherwise.</summary>
    public int TokenIndex { get; init; } = -1;

    /// <summary>
    /// Live tokens are merged only within aligned spans of this many tokens of their run, so readers that fell behind
    /// by different amounts still share merged frames: at most <c>MergeSpan * (MergeSpan + 1) / 2</c> of them per span,
    /// however many readers there are. Replayed tokens (made per reader anyway) merge without limit.
    /// </summary>
    public const int MergeSpan = 8;

    /// <summary>Tokens of one run may be merged when this is the same for both.</summary>
    public int MergeGroup => Replayed || TokenIndex < 0 ? -1 : TokenIndex / MergeSpan;

    private static long _mergedFramesBuilt;

    /// <summary>Merged frames serialized in this process since it started (each shared by the readers that send it).</summary>
    public static long MergedFramesBuilt => Interlocked.Read(ref _mergedFramesBuilt);

    /// <summary>When this process handed it on (<see cref="Stopwatch.GetTimestamp"/>): how far behind its reader is.</summary>
    public long DeliveredAt { get; }

    /// <summary>All text of the run so far, for token events; null otherwise.</summary>
    public string? FullText => _fullText ??= _runText?.ToString(0, _runTextLength);

    /// <summary>The message clients receive: the event with, for a token, its full text.</summary>
    public StageEvent Message => FullText is null ? Event : Event with { FullText = FullText };

    /// <summary>
    /// <c>id: N</c>, <c>data: json</c> and a blank line, built on first use and then shared. Many
    /// connections ask for it at the same moment, so the build is guarded: one serialization per event.
    /// </summary>
    public ReadOnlyMemory<byte> Frame => Volatile.Read(ref _frame) ?? BuildFrame();

    /// <summary>The frame without <c>full_text</c> (the lean form); for anything but a token, the frame itself.</summary>
    public ReadOnlyMemory<byte> LeanFrame => !IsToken ? Frame : Volatile.Read(ref _leanFrame) ?? BuildLeanFrame();

    // Separate, so reading a built frame (once per subscriber) creates no delegate.
    private byte[] BuildFrame() => LazyInitializer.EnsureInitialized(ref _frame, ref _frameLock, () => SseFormat.Frame(Id, Message));

    private byte[] BuildLeanFrame() => LazyInitializer.EnsureInitialized(ref _leanFrame, ref _leanFrameLock, () => SseFormat.Frame(Id, Event));

    /// <summary>
    /// Consecutive tokens of one run, ending with this one, as one message: their contents joined, this
    /// token's id and fields, and (<paramref name="withFullText"/>) this token's full text. Readers that fell
    /// behind by the same tokens get the same bytes: a merged frame is built once per (first, last, form).
    /// </summary>
    public ReadOnlyMemory<byte> MergedFrame(IReadOnlyList<DeliveredEvent> tokens, bool withFullText)
    {
        if (tokens.Count == 1)
        {
            return withFullText ? Frame : LeanFrame;
        }
        var merged = Volatile.Read(ref _merged) ?? LazyInitializer.EnsureInitialized(ref _merged);
        return merged.Get(tokens, withFullText, this);
    }

    private sealed class MergedFrames
    {
        private readonly Lock _gate = new();
        // Copied on write: thousands of readers look a frame up at once, and only the first builds it.
        private (long FirstId, bool WithFullText, byte[] Frame)[] _frames = [];

        public byte[] Get(IReadOnlyList<DeliveredEvent> tokens, bool withFullText, DeliveredEvent last)
        {
            var firstId = tokens[0].Id;
            if (Find(Volatile.Read(ref _frames), firstId, withFullText) is { } found)
            {
                return found;
            }
            lock (_gate)
            {
                if (Find(_frames, firstId, withFullText) is { } built)
                {
                    return built;
                }
                var content = new StringBuilder();
                foreach (var token in tokens)
                {
                    content.Append(token.Event.Content);
                }
                var message = last.Event with { Content = content.ToString(), FullText = withFullText ? last.FullText : null };
                var frame = SseFormat.Frame(last.Id, message);
                Interlocked.Increment(ref _mergedFramesBuilt);
                Volatile.Write(ref _frames, [.. _frames, (firstId, withFullText, frame)]);
                return frame;
            }
        }

        private static byte[]? Find((long FirstId, bool WithFullText, byte[] Frame)[] frames, long firstId, bool withFullText)
        {
            foreach (var cached in frames)
            {
                if (cached.FirstId == firstId && cached.WithFullText == withFullText)
                {
                    return cached.Frame;
                }
            }
            return null;
        }
    }
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
