namespace StageStream.Core.Events;

/// <summary>
/// One project's way out to its subscribers. While a run is watched by more than the machine can write every token to
/// (watchers times the run's tokens per second at or above <c>Events:PaceAboveDeliveriesPerSecond</c>), its tokens are
/// held for up to <c>Events:PaceMilliseconds</c> and handed on as one merged event: contents joined, the last token's
/// id and full text. Every watcher then gets one message per beat instead of one per token, built once. Anything but a
/// token of the held run first hands the held tokens on, so order is kept. Below that load every token goes out alone.
/// </summary>
internal sealed class TokenPacer : IDisposable
{
    private readonly EventRetentionOptions _rule;
    private readonly TimeProvider _clock;
    private readonly Action<DeliveredEvent> _fanOut;
    private readonly Lock _gate = new();
    private readonly List<DeliveredEvent> _held = [];
    // Made when a token is first held: most projects are never paced.
    private ITimer? _beat;
    private bool _disposed;
    // The project's token rate, counted per second of the clock.
    private long _windowStart;
    private int _tokensThisWindow;
    private int _tokensLastWindow;

    public TokenPacer(EventRetentionOptions rule, TimeProvider clock, Action<DeliveredEvent> fanOut)
    {
        _rule = rule;
        _clock = clock;
        _fanOut = fanOut;
        _windowStart = clock.GetTimestamp();
    }

    /// <summary>Hands an event on, or holds a token for the next beat. Calls come in id order and never overlap.</summary>
    public void Deliver(DeliveredEvent delivered, int watchers)
    {
        lock (_gate)
        {
            if (delivered.IsToken && ShouldPace(watchers))
            {
                if (_held.Count > 0 && _held[0].Event.RunId != delivered.Event.RunId)
                {
                    FlushLocked();
                }
                _held.Add(delivered);
                if (_held.Count == 1 && !_disposed)
                {
                    _beat ??= _clock.CreateTimer(static pacer => ((TokenPacer)pacer!).OnBeat(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    _beat.Change(TimeSpan.FromMilliseconds(_rule.PaceMilliseconds), Timeout.InfiniteTimeSpan);
                }
                return;
            }
            FlushLocked();
            _fanOut(delivered);
        }
    }

    /// <summary>Tokens held for the next beat (for tests and diagnostics).</summary>
    public int HeldCount
    {
        get
        {
            lock (_gate)
            {
                return _held.Count;
            }
        }
    }

    private bool ShouldPace(int watchers)
    {
        var now = _clock.GetTimestamp();
        var elapsed = _clock.GetElapsedTime(_windowStart, now);
        if (elapsed >= TimeSpan.FromSeconds(1))
        {
            // A gap of more than a window means the run went quiet: its rate starts again from nothing.
            _tokensLastWindow = elapsed >= TimeSpan.FromSeconds(2) ? 0 : _tokensThisWindow;
            _tokensThisWindow = 0;
            _windowStart = now;
        }
        _tokensThisWindow++;
        var threshold = _rule.PaceAboveDeliveriesPerSecond;
        return threshold > 0 && (long)watchers * Math.Max(_tokensThisWindow, _tokensLastWindow) >= threshold;
    }

    private void OnBeat()
    {
        lock (_gate)
        {
            FlushLocked();
        }
    }

    private void FlushLocked()
    {
        if (_held.Count == 0)
        {
            return;
        }
        var merged = DeliveredEvent.Merge(_held);
        _held.Clear();
        _fanOut(merged);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _held.Clear();
            _beat?.Dispose();
        }
    }
}
