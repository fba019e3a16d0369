using Microsoft.Extensions.Options;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>
/// Separate concurrency limits for LLM, image and video work, like the old llm / image / video queues. Knows, for
/// the pages, which runs wait for a slot of each kind and in what order.
/// </summary>
public sealed class WorkLimiter(IOptions<PipelineOptions> options)
{
    private readonly SemaphoreSlim _llm = new(options.Value.LlmConcurrency);
    private readonly SemaphoreSlim _image = new(options.Value.ImageConcurrency);
    private readonly SemaphoreSlim _video = new(options.Value.VideoConcurrency);
    private readonly Dictionary<WorkKind, List<string>> _waiting = new() { [WorkKind.Llm] = [], [WorkKind.Image] = [], [WorkKind.Video] = [] };

    public async Task<IDisposable> AcquireAsync(WorkKind kind, CancellationToken cancellationToken, string? runId = null)
    {
        var semaphore = kind switch
        {
            WorkKind.Image => _image,
            WorkKind.Video => _video,
            _ => _llm,
        };
        var waiting = _waiting[kind];
        lock (waiting)
        {
            waiting.Add(runId ?? "");
        }
        try
        {
            await semaphore.WaitAsync(cancellationToken);
        }
        finally
        {
            lock (waiting)
            {
                waiting.Remove(runId ?? "");
            }
        }
        return new Release(semaphore);
    }

    /// <summary>How many runs wait for a slot of <paramref name="kind"/> before the run <paramref name="runId"/>; null when it does not wait for one.</summary>
    public int? RunsAhead(WorkKind kind, string runId)
    {
        var waiting = _waiting[kind];
        lock (waiting)
        {
            var index = waiting.IndexOf(runId);
            return index < 0 ? null : index;
        }
    }

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
