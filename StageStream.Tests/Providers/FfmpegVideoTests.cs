using System.Diagnostics;
using System.Text;
using SkiaSharp;
using StageStream.Core.Projects;
using StageStream.Core.Providers;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Providers.Offline;

namespace StageStream.Tests.Providers;

/// <summary>One set of services and one frame for all the ffmpeg tests (font loading and drawing are not what they test).</summary>
public sealed class FfmpegFixture : IAsyncLifetime
{
    public DirectoryInfo Folder { get; } = Directory.CreateTempSubdirectory("stagestream-ffmpeg-");
    public ServiceProvider Services { get; } = OfflineServices.Create();
    public string Frame => Path.Combine(Folder.FullName, "frame.png");

    public async Task InitializeAsync()
    {
        var png = await Services.Get<IImageProvider>().GenerateAsync(
            new ImageRequest("p1", 1, 3, "The fishing boats come home as the sun rises.", "Cinematic still, wide shot: a harbour", "wide", 320, 180),
            CancellationToken.None);
        await File.WriteAllBytesAsync(Frame, png);
    }

    public Task DisposeAsync()
    {
        Services.Dispose();
        Folder.Delete(recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>Real ffmpeg and ffprobe on small frames (320x180), so the clips take a fraction of a second each.</summary>
public sealed class FfmpegVideoTests(FfmpegFixture fixture) : IClassFixture<FfmpegFixture>
{
    private readonly DirectoryInfo _folder = fixture.Folder.CreateSubdirectory(Guid.NewGuid().ToString("N"));
    private readonly ServiceProvider _services = fixture.Services;

    private string Frame => fixture.Frame;

    private async Task<string> ClipAsync(CameraMove move, double seconds, int width = 320, int height = 180, string? name = null)
    {
        var output = Path.Combine(_folder.FullName, name ?? $"clip-{move}-{seconds}.mp4");
        await _services.Get<IVideoProvider>().GenerateAsync(
            new ClipRequest(Frame, move, "", "narration", "prompt", seconds, width, height, output), new Progress<int>(), CancellationToken.None);
        return output;
    }

    private static bool IsFastStart(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.Latin1.GetString(bytes);
        var moov = text.IndexOf("moov", StringComparison.Ordinal);
        var mdat = text.IndexOf("mdat", StringComparison.Ordinal);
        return moov > 0 && mdat > 0 && moov < mdat;
    }

    [Theory]
    [InlineData(CameraMove.Static, 2.0)]
    [InlineData(CameraMove.PushIn, 2.5)]
    [InlineData(CameraMove.PullOut, 3.0)]
    [InlineData(CameraMove.PanLeft, 2.0)]
    [InlineData(CameraMove.PanRight, 3.5)]
    [InlineData(CameraMove.TiltUp, 2.0)]
    [InlineData(CameraMove.TiltDown, 4.5)]
    public async Task ClipLastsExactlyTheShotAndIsBrowserPlayableH264(CameraMove move, double seconds)
    {
        var clip = await ClipAsync(move, seconds);

        var info = await _services.Get<Ffmpeg>().ProbeAsync(clip, CancellationToken.None);
        Assert.InRange(info.DurationSeconds, seconds - 0.1, seconds + 0.1);
        Assert.Equal("h264", info.Codec);
        Assert.Equal("yuv420p", info.PixelFormat);
        Assert.Equal((320, 180), (info.Width, info.Height));
        Assert.Equal("25/1", info.FrameRate);
        Assert.True(IsFastStart(clip), "moov before mdat (+faststart)");
        Assert.False(File.Exists(clip + ".part"));
    }

    [Fact]
    public async Task MovingShotsChangeFromFirstToLastFrameAndStaticOnesDoNot()
    {
        var pushIn = await FirstAndLastFrameDifferenceAsync(await ClipAsync(CameraMove.PushIn, 2));
        var pan = await FirstAndLastFrameDifferenceAsync(await ClipAsync(CameraMove.PanRight, 2));
        var still = await FirstAndLastFrameDifferenceAsync(await ClipAsync(CameraMove.Static, 2));

        Assert.True(still < 2, $"static clip changed by {still}");
        Assert.True(pushIn > 5, $"push-in changed by {pushIn} only");
        Assert.True(pan > 5, $"pan changed by {pan} only");
    }

    /// <summary>Mean absolute difference (0-255) between the clip's first and last frames.</summary>
    private async Task<double> FirstAndLastFrameDifferenceAsync(string clip)
    {
        var ffmpeg = _services.Get<Ffmpeg>();
        var first = Path.ChangeExtension(clip, ".first.png");
        var last = Path.ChangeExtension(clip, ".last.png");
        await ffmpeg.RunFfmpegAsync(["-i", clip, "-frames:v", "1", first], CancellationToken.None);
        await ffmpeg.RunFfmpegAsync(["-sseof", "-0.1", "-i", clip, "-update", "1", last], CancellationToken.None);
        using var a = SKBitmap.Decode(first);
        using var b = SKBitmap.Decode(last);
        double total = 0;
        var samples = 0;
        for (var y = 0; y < a.Height; y += 4)
        {
            for (var x = 0; x < a.Width; x += 4)
            {
                var (p, q) = (a.GetPixel(x, y), b.GetPixel(x, y));
                total += (Math.Abs(p.Red - q.Red) + Math.Abs(p.Green - q.Green) + Math.Abs(p.Blue - q.Blue)) / 3.0;
                samples++;
            }
        }
        return total / samples;
    }

    [Fact]
    public async Task FilmLastsTheSumOfItsClips()
    {
        var clips = new[]
        {
            new FilmShot(await ClipAsync(CameraMove.PullOut, 2), 2, null, 0),
            new FilmShot(await ClipAsync(CameraMove.PushIn, 2.5), 2.5, null, 0),
            new FilmShot(await ClipAsync(CameraMove.TiltUp, 3), 3, null, 0),
        };
        var film = Path.Combine(_folder.FullName, "film.mp4");

        await _services.Get<IFilmAssembler>().AssembleAsync(new FilmRequest(clips, film, null, false, null), CancellationToken.None);

        var info = await _services.Get<Ffmpeg>().ProbeAsync(film, CancellationToken.None);
        Assert.InRange(info.DurationSeconds, 7.5 - 0.5, 7.5 + 0.5);
        Assert.Equal(("h264", "yuv420p", 320, 180), (info.Codec, info.PixelFormat, info.Width, info.Height));
        Assert.True(IsFastStart(film), "moov before mdat (+faststart)");
        Assert.False(File.Exists(film + ".concat.txt"));
    }

    [Fact]
    public async Task ClipsOfDifferentSizesAreReencodedIntoOneFilm()
    {
        var clips = new[]
        {
            new FilmShot(await ClipAsync(CameraMove.PanLeft, 2), 2, null, 0),
            new FilmShot(await ClipAsync(CameraMove.PanRight, 2, 256, 144, "small's clip.mp4"), 2, null, 0),
        };
        var film = Path.Combine(_folder.FullName, "mixed film.mp4");

        await _services.Get<IFilmAssembler>().AssembleAsync(new FilmRequest(clips, film, null, false, null), CancellationToken.None);

        var info = await _services.Get<Ffmpeg>().ProbeAsync(film, CancellationToken.None);
        Assert.InRange(info.DurationSeconds, 3.5, 4.5);
        Assert.Equal(("h264", "yuv420p", 320, 180), (info.Codec, info.PixelFormat, info.Width, info.Height));
    }

    [Fact]
    public async Task WithoutFfmpegTheErrorNamesItAndHowToInstallIt()
    {
        var empty = Directory.CreateTempSubdirectory("stagestream-nopath-");
        try
        {
            using var services = OfflineServices.Create(new Dictionary<string, string?> { ["Providers:Offline:FfmpegSearchPath"] = empty.FullName });
            var output = Path.Combine(_folder.FullName, "never.mp4");

            var clip = await Assert.ThrowsAsync<MissingDependencyException>(() => services.Get<IVideoProvider>().GenerateAsync(
                new ClipRequest(Frame, CameraMove.PushIn, "", "n", "p", 2, 320, 180, output), new Progress<int>(), CancellationToken.None));
            var film = await Assert.ThrowsAsync<MissingDependencyException>(() =>
                services.Get<IFilmAssembler>().AssembleAsync(new FilmRequest([new FilmShot(Frame, 2, null, 0)], output, null, false, null), CancellationToken.None));

            foreach (var error in new[] { clip, film })
            {
                Assert.Contains("ffmpeg", error.Message, StringComparison.Ordinal);
                Assert.Contains("sudo apt-get install ffmpeg", error.Message, StringComparison.Ordinal);
                Assert.Contains("brew install ffmpeg", error.Message, StringComparison.Ordinal);
            }
            Assert.False(File.Exists(output));
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task CancellingAClipKillsFfmpeg()
    {
        var output = Path.Combine(_folder.FullName, $"long-{Guid.NewGuid():N}.mp4");
        using var cts = new CancellationTokenSource();
        var work = _services.Get<IVideoProvider>().GenerateAsync(
            new ClipRequest(Frame, CameraMove.PushIn, "", "n", "p", 60, 1280, 720, output), new Progress<int>(), cts.Token);

        // Wait until ffmpeg is really running, then cancel.
        var deadline = Stopwatch.StartNew();
        while (FfmpegProcessesWriting(output) == 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }
        Assert.True(FfmpegProcessesWriting(output) > 0, "ffmpeg started");
        var cancelled = Stopwatch.StartNew();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => work);
        Assert.True(cancelled.Elapsed < TimeSpan.FromSeconds(2), $"cancellation took {cancelled.Elapsed}");
        Assert.Equal(0, FfmpegProcessesWriting(output));
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(output + ".part"));
    }

    /// <summary>Processes whose command line mentions the output file (Linux /proc).</summary>
    private static int FfmpegProcessesWriting(string output)
    {
        var count = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
                if (commandLine.Contains(output, StringComparison.Ordinal) && commandLine.Contains("ffmpeg", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while being read.
            }
        }
        return count;
    }
}
