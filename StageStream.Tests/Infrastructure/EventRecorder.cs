using StageStream.Core.Events;

namespace StageStream.Tests.Infrastructure;

/// <summary>Reads one stream of a project through the subscription API in the background and keeps every event.</summary>
public sealed class EventRecorder : IAsyncDisposable
{
    private readonly EventSubscription _subscription;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<DeliveredEvent> _events = [];
    private readonly Task _reading;

    private EventRecorder(EventSubscription subscription)
    {
        _subscription = subscription;
        _reading = Task.Run(ReadAsync);
    }

    public static async Task<EventRecorder> StartAsync(TestApp app, string projectId, string? stage = null, long? afterId = null) =>
        new(await app.Service<IEventSubscriptions>().SubscribeAsync(projectId, stage, afterId, CancellationToken.None));

    public IReadOnlyList<DeliveredEvent> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToList();
            }
        }
    }

    /// <summary>Completes when the stream has ended (its run's terminal event was read).</summary>
    public Task Completion => _reading;

    public async Task<DeliveredEvent> WaitForAsync(Func<DeliveredEvent, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var found = Events.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }
            if (_reading.IsFaulted)
            {
                await _reading;
            }
            await Task.Delay(10);
        }
        throw new TimeoutException($"No matching event within {timeout}; got: {string.Join(", ", Events.Select(e => $"{e.Event.Stage}/{e.Type}/{e.Event.Status}"))}");
    }

    public async Task WaitForEndAsync(TimeSpan timeout) => await _reading.WaitAsync(timeout);

    private async Task ReadAsync()
    {
        await foreach (var delivered in _subscription.ReadAllAsync(_stop.Token))
        {
            lock (_events)
            {
                _events.Add(delivered);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _reading;
        }
        catch (OperationCanceledException)
        {
        }
        await _subscription.DisposeAsync();
        _stop.Dispose();
    }
}
