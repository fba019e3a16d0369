using StageStream.Tests.Streaming;

namespace StageStream.Tests.Crash;

/// <summary>
/// An SSE client as a browser's EventSource behaves: it reads one stream and, whenever the connection drops
/// (the server was killed), reconnects to the same URL with <c>Last-Event-ID</c> until the stream ends.
/// It keeps every event message it received (not the per-connection <c>connected</c> and <c>stream_end</c>).
/// </summary>
public sealed class ResumingWatcher : IAsyncDisposable
{
    private readonly Uri _baseAddress;
    private readonly string _path;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<SseFrame> _events = [];
    private readonly Task _loop;

    private ResumingWatcher(Uri baseAddress, string path)
    {
        _baseAddress = baseAddress;
        _path = path;
        _loop = Task.Run(RunAsync);
    }

    public static ResumingWatcher Start(Uri baseAddress, string path) => new(baseAddress, path);

    public IReadOnlyList<SseFrame> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public string? EndReason { get; private set; }
    public int Connections { get; private set; }

    /// <summary>Why the last connection ended without <c>stream_end</c>, for a failing test's message.</summary>
    public string? LastError { get; private set; }

    public override string ToString()
    {
        var events = Events;
        return $"{_path}: {Connections} connections, {events.Count} events, last {events.LastOrDefault()?.Id} {events.LastOrDefault()?.Type}, end {EndReason}, last error {LastError}";
    }

    public Task Completion => _loop;

    private async Task RunAsync()
    {
        string? lastId = null;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var client = await SseClient.OpenAsync(_baseAddress, _path, lastId);
                Connections++;
                while (await client.ReadFrameAsync(TimeSpan.FromSeconds(60)) is { } frame)
                {
                    if (frame.Data is null)
                    {
                        continue;
                    }
                    if (frame.Type == "stream_end")
                    {
                        EndReason = frame.Str("message");
                        return;
                    }
                    lastId = frame.Id;
                    if (frame.Type != "connected")
                    {
                        lock (_gate)
                        {
                            _events.Add(frame);
                        }
                    }
                }
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                // The server is gone or not back yet: try again, as EventSource does after its retry delay.
                LastError = ex.GetType().Name + ": " + ex.Message;
            }
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
        _stop.Dispose();
    }
}
