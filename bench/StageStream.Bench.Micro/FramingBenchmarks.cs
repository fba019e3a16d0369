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
    private LeanDeliveredEvent _lean = null!;
    private StageEvent _message = null!;
    private Pipe _pipe = null!;

    [GlobalSetup]
    public void Setup()
    {
        var fullText = SampleEvents.FullText(500);
        _delivered = new DeliveredEvent(SampleEvents.Token(), fullText);
        _ = _delivered.Frame;
        _lean = new LeanDeliveredEvent(SampleEvents.Token() with { FullText = fullText });
        _ = _lean.Frame;
        _message = _delivered.Message;
        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    }

    [Benchmark(Baseline = true, Description = "DeliveredEvent.Frame, built (shipped)")]
    public int SharedFrameShipped() => _delivered.Frame.Length;

    [Benchmark(Description = "Frame getter with a fast path (proposed)")]
    public int SharedFrameFastPath() => _lean.Frame.Length;

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
/// <see cref="DeliveredEvent.Frame"/> as proposed: return the built frame without creating a delegate.
/// The shipped getter passes a lambda capturing <c>this</c> to LazyInitializer on every read, so every
/// subscriber allocates one delegate per event.
/// </summary>
public sealed class LeanDeliveredEvent(StageEvent message)
{
    private byte[]? _frame;
    private object? _frameLock;

    public ReadOnlyMemory<byte> Frame => Volatile.Read(ref _frame) ?? Build();

    private byte[] Build() => LazyInitializer.EnsureInitialized(ref _frame, ref _frameLock, () => SseFormat.Frame(message.Id, message));
}
