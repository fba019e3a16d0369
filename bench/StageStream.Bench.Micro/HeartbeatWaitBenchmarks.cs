using BenchmarkDotNet.Attributes;

namespace StageStream.Bench.Micro;

/// <summary>
/// Once per subscriber per event: how an SSE writer waits for the next event while keeping its
/// heartbeat. Shipped: <c>pending.WaitAsync(untilHeartbeat, clock, stopping)</c>, which makes a timer
/// (and takes the timer-queue lock) on every wait. Proposed: one periodic timer per connection, and
/// <c>Task.WhenAny(pending, tick)</c> per wait. Both include making the pending task itself.
/// </summary>
[MemoryDiagnoser]
public class HeartbeatWaitBenchmarks
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _tick = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Benchmark(Baseline = true, Description = "pending.WaitAsync(timeout, clock, token) (shipped)")]
    public async Task<bool> WaitAsyncWithTimeout()
    {
        var pending = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var wait = pending.Task.WaitAsync(TimeSpan.FromSeconds(15), TimeProvider.System, _stopping.Token);
        pending.SetResult(true);
        await wait;
        return pending.Task.Result;
    }

    [Benchmark(Description = "Task.WhenAny(pending, per-connection tick) (proposed)")]
    public async Task<bool> WhenAnyWithTick()
    {
        var pending = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var wait = Task.WhenAny(pending.Task, _tick.Task);
        pending.SetResult(true);
        await wait;
        return pending.Task.Result;
    }
}
