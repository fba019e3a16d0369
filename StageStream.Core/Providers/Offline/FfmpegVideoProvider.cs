using System.Globalization;
using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// video_generation without a model: ffmpeg moves a virtual camera over the still frame, giving an H.264 clip of
/// exactly the shot's duration (round(duration x 25) frames). Pans and tilts slide a crop window over the frame
/// scaled once; only push-ins and pull-outs resample each frame (zoompan).
/// </summary>
public sealed class FfmpegVideoProvider(Ffmpeg ffmpeg, IOptions<OfflineOptions> options) : IVideoProvider
{
    public const int FramesPerSecond = 25;

    /// <summary>
    /// How far the moving shots zoom in; pans and tilts need a margin to travel across. The offline frames keep their
    /// text inside the middle 1/Zoom of the picture, so no move cuts it off.
    /// </summary>
    public const double Zoom = 1.15;

    public string Name => OfflineProvider.Name;

    public async Task GenerateAsync(ClipRequest request, IProgress<int> progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(request.ImagePath))
        {
            throw new ProviderException($"The frame {Path.GetFileName(request.ImagePath)} is missing; run image_generation first.");
        }
        if (request.DurationSeconds <= 0 || request.Width < 16 || request.Height < 16)
        {
            throw new ProviderException($"Cannot film {request.DurationSeconds} s at {request.Width}x{request.Height}.");
        }
        progress.Report(0);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!);
        await DataFolder.WriteAtomicallyAsync(request.OutputPath,
            part => ffmpeg.RunFfmpegAsync(Arguments(request, part, options.Value.X264Preset, options.Value.X264Threads), cancellationToken));
        progress.Report(100);
    }

    public static int FrameCount(double durationSeconds) =>
        Math.Max(1, (int)Math.Round(durationSeconds * FramesPerSecond, MidpointRounding.AwayFromZero));

    internal static IReadOnlyList<string> Arguments(ClipRequest request, string output, string preset, int threads = 0)
    {
        // yuv420p needs even sizes.
        var width = request.Width / 2 * 2;
        var height = request.Height / 2 * 2;
        var frames = FrameCount(request.DurationSeconds);
        var fps = FramesPerSecond.ToString(CultureInfo.InvariantCulture);
        // The frame is decoded and scaled once; the loop filter repeats the scaled picture for every frame.
        var repeat = $"loop=loop={frames - 1}:size=1:start=0,setpts=N/{fps}/TB";
        var filter = request.Move switch
        {
            CameraMove.PushIn or CameraMove.PullOut =>
                // The only moves that resample every frame. From 1.5x the size, zoompan's whole-pixel crop
                // positions are two thirds of an output pixel, so the slow zoom does not jitter.
                $"{Cover(Even(width * 1.5), Even(height * 1.5))},format=yuv420p,{ZoomPan(request.Move, frames)}:d={frames}:s={width}x{height}:fps={fps}",
            CameraMove.PanLeft or CameraMove.PanRight or CameraMove.TiltUp or CameraMove.TiltDown =>
                // A window of the clip's size slides over the frame scaled to Zoom: the same view as zooming to
                // Zoom and moving across, for the price of a crop. In RGB, so it moves by single pixels.
                $"{Cover(Even(width * Zoom), Even(height * Zoom))},{repeat},crop={width}:{height}:{Slide(request.Move, frames)},format=yuv420p",
            _ => $"{Cover(width, height)},format=yuv420p,{repeat}",
        };
        return
        [
            "-i", request.ImagePath,
            "-vf", filter + ",setsar=1",
            "-frames:v", frames.ToString(CultureInfo.InvariantCulture),
            "-c:v", "libx264", "-preset", preset, "-threads", threads.ToString(CultureInfo.InvariantCulture), "-pix_fmt", "yuv420p", "-r", fps,
            "-movflags", "+faststart", "-an", "-f", "mp4", output,
        ];
    }

    private static int Even(double size) => Math.Max(2, (int)Math.Round(size / 2, MidpointRounding.AwayFromZero) * 2);

    private static string Cover(int width, int height) => $"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height}";

    /// <summary>The crop position of a pan or tilt; <c>n</c> is the frame number, 0 to frames-1.</summary>
    internal static string Slide(CameraMove move, int frames)
    {
        var progress = $"n/{Math.Max(frames - 1, 1).ToString(CultureInfo.InvariantCulture)}";
        return move switch
        {
            CameraMove.PanRight => $"x='(iw-ow)*{progress}':y='(ih-oh)/2'",
            CameraMove.PanLeft => $"x='(iw-ow)*(1-{progress})':y='(ih-oh)/2'",
            CameraMove.TiltUp => $"x='(iw-ow)/2':y='(ih-oh)*(1-{progress})'",
            CameraMove.TiltDown => $"x='(iw-ow)/2':y='(ih-oh)*{progress}'",
            _ => throw new ArgumentOutOfRangeException(nameof(move), move, "Only pans and tilts slide."),
        };
    }

    /// <summary>The zoompan expressions of a push-in or pull-out; <c>on</c> is the output frame number, 0 to frames-1.</summary>
    internal static string ZoomPan(CameraMove move, int frames)
    {
        var last = Math.Max(frames - 1, 1).ToString(CultureInfo.InvariantCulture);
        var zoom = Zoom.ToString(CultureInfo.InvariantCulture);
        var extra = (Zoom - 1).ToString(CultureInfo.InvariantCulture);
        const string centreX = "iw/2-(iw/zoom/2)";
        const string centreY = "ih/2-(ih/zoom/2)";
        var progress = $"on/{last}";
        var z = move == CameraMove.PullOut ? $"{zoom}-{extra}*{progress}" : $"1+{extra}*{progress}";
        return $"zoompan=z='{z}':x='{centreX}':y='{centreY}'";
    }
}
