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

        public async Task GenerateAsync(ClipRequest request, IProgress<int> progress, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _running);
            lock (this)
            {
                MostAtOnce = Math.Max(MostAtOnce, now);
            }
            try
            {
                // Long enough for the others to start if they may.
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
        var id = await CreateAsync(app, new { name = "Parallel", original_text = "One fox ran. Two owls flew. Three bells rang. Four boats sailed home." });

        var project = await RunAsync(app, id);

        Assert.Equal(4, Shots(project).Count);
        Assert.Equal(concurrency, app.Service<CountingVideo>().MostAtOnce);
        Assert.All(Shots(project), s => Assert.Equal("counting", s.GetProperty("clip_provider").GetString()));
    }
}
