using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StageStream.Core.Providers;
using StageStream.Core.Providers.Offline;
using StageStream.Tests.Infrastructure;
using static StageStream.Tests.Film.FilmRuns;

namespace StageStream.Tests.Film;

public sealed class ParallelClipsTests
{
    /// <summary>The offline video provider, counting how many clips are being made at once.</summary>
    private sealed class CountingVideo(Ffmpeg ffmpeg, IOptions<OfflineOptions> options) : IVideoProvider
    {
        private readonly FfmpegVideoProvider _inner = new(ffmpeg, options);
        private int _running;

        public string Name => "counting";
        public int MostAtOnce { get; private set; }

        /// <summary>How many clips should be made at once: each waits (10 s at most) until that many were.</summary>
        public int Expected { get; set; } = 1;

        public async Task GenerateAsync(ClipRequest request, IProgress<int> progress, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _running);
            lock (this)
            {
                MostAtOnce = Math.Max(MostAtOnce, now);
            }
            try
            {
                // A meeting point, so that a slow start of the others on a busy machine is not taken for too few at once.
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (Volatile.Read(ref _running) < Expected && MostAtOnce < Expected && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(10, cancellationToken);
                }
                // Then long enough for any more to start if they could.
                await Task.Delay(400, cancellationToken);
                await _inner.GenerateAsync(request, progress, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ClipsAreMadeAsManyAtOnceAsConfigured(int concurrency)
    {
        await using var app = await TestApp.StartAsync(
            new Dictionary<string, string?>(SmallFrames)
            {
                ["Pipeline:ShotConcurrency"] = concurrency.ToString(),
                ["Stages:video_generation:Provider"] = "counting",
            },
            configure: builder => builder.Services.AddSingleton<CountingVideo>().AddSingleton<IVideoProvider>(sp => sp.GetRequiredService<CountingVideo>()));
        app.Service<CountingVideo>().Expected = concurrency;
        var id = await CreateAsync(app, new { name = "Parallel", original_text = "One fox ran. Two owls flew. Three bells rang. Four boats sailed home." });

        var project = await RunAsync(app, id);

        Assert.Equal(4, Shots(project).Count);
        Assert.Equal(concurrency, app.Service<CountingVideo>().MostAtOnce);
        Assert.All(Shots(project), s => Assert.Equal("counting", s.GetProperty("clip_provider").GetString()));
    }
}
