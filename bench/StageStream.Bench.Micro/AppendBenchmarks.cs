using BenchmarkDotNet.Attributes;
using StageStream.Core.Events;

namespace StageStream.Bench.Micro;

/// <summary>
/// Events appended to the durable log (SQLite in WAL mode, group commits) through <see cref="IEventPublisher"/>,
/// with nobody watching: the time per event is the log's cost; 1 s / it is the events per second it can append.
/// <see cref="Publishers"/> publish at once, each awaiting its own events one by one as a stage run does.
/// </summary>
public class AppendBenchmarks
{
    private const int EventsPerInvoke = 2000;
    private EventLogSetup _log = null!;
    private IEventPublisher _publisher = null!;

    [Params(1, 16, 128)]
    public int Publishers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _log = new EventLogSetup();
        _publisher = _log.Publisher;
    }

    [Benchmark(OperationsPerInvoke = EventsPerInvoke, Description = "Append one token event (per event)")]
    public async Task Append()
    {
        var perPublisher = EventsPerInvoke / Publishers;
        var publishers = new Task[Publishers];
        for (var p = 0; p < Publishers; p++)
        {
            var project = $"project-{p}";
            publishers[p] = Task.Run(async () =>
            {
                for (var i = 0; i < perPublisher; i++)
                {
                    await _publisher.PublishAsync(SampleEvents.Token() with { ProjectId = project, Id = 0 });
                }
            });
        }
        await Task.WhenAll(publishers);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _log.DisposeAsync();
}
