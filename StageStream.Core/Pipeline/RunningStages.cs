using System.Collections.Concurrent;

namespace StageStream.Core.Pipeline;

/// <summary>The cancellation of each stage run executing in this process, so a cancel request reaches it.</summary>
public sealed class RunningStages
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _runs = new();

    public CancellationTokenSource Start(string runId, CancellationToken hostStopping)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(hostStopping);
        _runs[runId] = source;
        return source;
    }

    public void Finish(string runId)
    {
        if (_runs.TryRemove(runId, out var source))
        {
            source.Dispose();
        }
    }

    /// <summary>Signals the run to stop; false if it is not executing in this process.</summary>
    public bool Cancel(string runId)
    {
        if (!_runs.TryGetValue(runId, out var source))
        {
            return false;
        }
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        return true;
    }

    public bool IsRunning(string runId) => _runs.ContainsKey(runId);
}
