using BenchmarkDotNet.Attributes;
using StageStream.Core.Events;

namespace StageStream.Bench.Micro;

/// <summary>
/// One token through the hub to every subscriber of a project and out of each subscription, as the
/// SSE writers read it (a cancellable read that waits between tokens, as in the server). Divide the
/// allocation by <see cref="Subscribers"/> for the cost per subscriber per token.
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private const string Project = "0f8fad5bd9cb469fa16570867728950e";
    private EventLogSetup _log = null!;
    private EventHub _hub = null!;
    private readonly List<EventSubscription> _subscriptions = [];
    private IAsyncEnumerator<DeliveredEvent>[] _readers = [];
    private ValueTask<bool>[] _pending = [];
    private CancellationTokenSource _stop = null!;
    private long _id = SampleEvents.FirstId;
    private int _tokensInRun;
    private string _runId = "run-0";

    [Params(1000)]
    public int Subscribers { get; set; }

    /// <summary>
    /// True as the server reads (its token cancels the read when the client leaves). The subscription
    /// waits on its channel without the token (one registration per stream completes the channel on
    /// cancellation), so both cost the same; with the token passed to every wait, the channel used to
    /// allocate a waiter and a registration per subscriber per event (~95 B).
    /// </summary>
    [Params(true, false)]
    public bool CancellableRead { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _log = new EventLogSetup(subscriberBufferSize: 2048);
        _hub = _log.Hub;
        var subscriptions = _log.Subscriptions;
        _stop = new CancellationTokenSource();
        _readers = new IAsyncEnumerator<DeliveredEvent>[Subscribers];
        _pending = new ValueTask<bool>[Subscribers];
        for (var i = 0; i < Subscribers; i++)
        {
            // All stages: a stage's done (which starts the next run here) does not end these streams.
            var subscription = await subscriptions.SubscribeAsync(Project, null, null, CancellationToken.None);
            _subscriptions.Add(subscription);
            var token = CancellableRead ? _stop.Token : CancellationToken.None;
            _readers[i] = subscription.ReadAllAsync(token).GetAsyncEnumerator(token);
            _pending[i] = _readers[i].MoveNextAsync();
        }
    }

    [Benchmark(Description = "Deliver 1 token to all subscribers and read it from each")]
    public async Task<long> DeliverToken()
    {
        if (++_tokensInRun > 200)
        {
            // Keep full_text at a realistic size: end the run and start another now and then.
            Deliver(SampleEvents.Token(_runId) with { Type = EventTypes.Done, Content = null });
            await DrainAsync();
            _runId = "run-" + _id;
            _tokensInRun = 0;
        }
        Deliver(SampleEvents.Token(_runId));
        return await DrainAsync();
    }

    private void Deliver(StageEvent e) => _hub.Deliver(e with { Id = ++_id });

    private async Task<long> DrainAsync()
    {
        long bytes = 0;
        for (var i = 0; i < _readers.Length; i++)
        {
            if (!await _pending[i])
            {
                throw new InvalidOperationException("A subscription ended.");
            }
            bytes += _readers[i].Current.Frame.Length;
            _pending[i] = _readers[i].MoveNextAsync();
        }
        return bytes;
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _stop.Cancel();
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
        await _log.DisposeAsync();
    }
}
