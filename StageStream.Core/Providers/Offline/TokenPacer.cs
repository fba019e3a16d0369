using System.Diagnostics;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// Releases tokens at a steady rate. Each token is due at start + n / rate, so slow consumers do not
/// stretch the total; cancellation interrupts the wait at once.
/// </summary>
internal sealed class TokenPacer(double tokensPerSecond)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _released;

    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (tokensPerSecond <= 0)
        {
            return;
        }
        var due = TimeSpan.FromSeconds(_released++ / tokensPerSecond);
        var wait = due - _clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }
    }
}
