using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using StageStream.Core.Events;

namespace StageStream.Bench.Micro;

/// <summary>
/// Once per subscriber: what each connection does with an event that is already framed. The goal is
/// no allocation per subscriber per token: the shared frame is read and copied into the connection's pipe.
/// </summary>
[MemoryDiagnoser]
public class FramingBenchmarks
{
    private DeliveredEvent _delivered = null!;
    private DelegatePerReadEvent _before = null!;
    private StageEvent _message = null!;
    private Pipe _pipe = null!;

    [GlobalSetup]
    public void Setup()
    {
        var fullText = SampleEvents.FullText(500);
        _delivered = new DeliveredEvent(SampleEvents.Token(), fullText);
        _ = _delivered.Frame;
        _before = new DelegatePerReadEvent(SampleEvents.Token() with { FullText = fullText });
        _ = _before.Frame;
        _message = _delivered.Message;
        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    }

    [Benchmark(Baseline = true, Description = "DeliveredEvent.Frame, built (shipped)")]
    public int SharedFrameShipped() => _delivered.Frame.Length;

    [Benchmark(Description = "Frame getter as it was: a delegate per read")]
    public int SharedFrameBefore() => _before.Frame.Length;

    [Benchmark(Description = "serialize per subscriber (what sharing avoids)")]
    public int SerializePerSubscriber() => SseFormat.Frame(_message.Id, _message).Length;

    [Benchmark(Description = "copy shared frame into the connection's PipeWriter")]
    public long WriteSharedFrameToPipe()
    {
        _pipe.Writer.Write(_delivered.Frame.Span);
        _ = _pipe.Writer.FlushAsync().GetAwaiter().GetResult();
        _pipe.Reader.TryRead(out var read);
        var length = read.Buffer.Length;
        _pipe.Reader.AdvanceTo(read.Buffer.End);
        return length;
    }

    [Benchmark(Description = "SseFormat.Frame(id, writer) for connected/stream_end")]
    public int ServerMessageFrame() => SseFormat.Frame(42, static (Utf8JsonWriter json) =>
    {
        json.WriteStartObject();
        json.WriteString("type", EventTypes.StreamEnd);
        json.WriteString("message", "done");
        json.WriteEndObject();
    }).Length;
}

/// <summary>
/// <see cref="DeliveredEvent.Frame"/> as it was before the fan-out benchmark: a lambda capturing
/// <c>this</c> passed to LazyInitializer on every read, so every subscriber allocated one delegate
/// per event even once the frame was built. Kept to show the difference.
/// </summary>
public sealed class DelegatePerReadEvent(StageEvent message)
{
    private byte[]? _frame;
    private object? _frameLock;

    public ReadOnlyMemory<byte> Frame => LazyInitializer.EnsureInitialized(ref _frame, ref _frameLock, () => SseFormat.Frame(message.Id, message));
}
