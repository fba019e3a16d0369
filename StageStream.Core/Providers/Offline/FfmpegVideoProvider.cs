using System.Globalization;
using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// video_generation without a model: ffmpeg's zoompan moves a virtual camera over the still frame, giving an H.264
/// clip of exactly the shot's duration (round(duration x 25) frames).
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
            part => ffmpeg.RunFfmpegAsync(Arguments(request, part, options.Value.X264Preset), cancellationToken));
        progress.Report(100);
    }

    public static int FrameCount(double durationSeconds) =>
        Math.Max(1, (int)Math.Round(durationSeconds * FramesPerSecond, MidpointRounding.AwayFromZero));

    internal static IReadOnlyList<string> Arguments(ClipRequest request, string output, string preset)
    {
        // yuv420p needs even sizes.
        var width = request.Width / 2 * 2;
        var height = request.Height / 2 * 2;
        var frames = FrameCount(request.DurationSeconds);
        // Upscaling first gives zoompan sub-pixel room, so slow moves do not jitter; twice the size keeps it quick.
        var filter = $"scale={width * 2}:{height * 2}:force_original_aspect_ratio=increase,crop={width * 2}:{height * 2}," +
                     $"{ZoomPan(request.Move, frames)}:d={frames}:s={width}x{height}:fps={FramesPerSecond},setsar=1,format=yuv420p";
        // A single input frame without -loop: zoompan turns it into exactly d frames.
        return
        [
            "-i", request.ImagePath,
            "-vf", filter,
            "-frames:v", frames.ToString(CultureInfo.InvariantCulture),
            "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-r", FramesPerSecond.ToString(CultureInfo.InvariantCulture),
            "-movflags", "+faststart", "-an", "-f", "mp4", output,
        ];
    }

    /// <summary>The zoompan expressions of a move; <c>on</c> is the output frame number, 0 to frames-1.</summary>
    internal static string ZoomPan(CameraMove move, int frames)
    {
        var last = Math.Max(frames - 1, 1).ToString(CultureInfo.InvariantCulture);
        var zoom = Zoom.ToString(CultureInfo.InvariantCulture);
        var extra = (Zoom - 1).ToString(CultureInfo.InvariantCulture);
        const string centreX = "iw/2-(iw/zoom/2)";
        const string centreY = "ih/2-(ih/zoom/2)";
        var progress = $"on/{last}";
        var (z, x, y) = move switch
        {
            CameraMove.PushIn => ($"1+{extra}*{progress}", centreX, centreY),
            CameraMove.PullOut => ($"{zoom}-{extra}*{progress}", centreX, centreY),
            CameraMove.PanRight => (zoom, $"(iw-iw/zoom)*{progress}", centreY),
            CameraMove.PanLeft => (zoom, $"(iw-iw/zoom)*(1-{progress})", centreY),
            CameraMove.TiltUp => (zoom, centreX, $"(ih-ih/zoom)*(1-{progress})"),
            CameraMove.TiltDown => (zoom, centreX, $"(ih-ih/zoom)*{progress}"),
            _ => ("1", "0", "0"),
        };
        return $"zoompan=z='{z}':x='{x}':y='{y}'";
    }
}
