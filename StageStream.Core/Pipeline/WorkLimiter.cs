using Microsoft.Extensions.Options;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>Separate concurrency limits for LLM, image and video work, like the old llm / image / video queues.</summary>
public sealed class WorkLimiter(IOptions<PipelineOptions> options)
{
    private readonly SemaphoreSlim _llm = new(options.Value.LlmConcurrency);
    private readonly SemaphoreSlim _image = new(options.Value.ImageConcurrency);
    private readonly SemaphoreSlim _video = new(options.Value.VideoConcurrency);

    public async Task<IDisposable> AcquireAsync(WorkKind kind, CancellationToken cancellationToken)
    {
        var semaphore = kind switch
        {
            WorkKind.Image => _image,
            WorkKind.Video => _video,
            _ => _llm,
        };
        await semaphore.WaitAsync(cancellationToken);
        return new Release(semaphore);
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
