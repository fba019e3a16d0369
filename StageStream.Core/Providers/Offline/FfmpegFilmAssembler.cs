using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// Joins the clips into the film. Clips that share codec, size and rate (all offline ones do) are joined by the concat
/// demuxer without re-encoding; a mix (clips from different video providers) is re-encoded to the first clip's size.
/// The film is silent: clips with and without audio cannot be concatenated stream by stream.
/// </summary>
public sealed class FfmpegFilmAssembler(Ffmpeg ffmpeg, IOptions<OfflineOptions> options, ILogger<FfmpegFilmAssembler> logger) : IFilmAssembler
{
    public async Task AssembleAsync(IReadOnlyList<string> clipPaths, string outputPath, CancellationToken cancellationToken)
    {
        if (clipPaths.Count == 0)
        {
            throw new ProviderException("There are no clips to join into a film.");
        }
        var missing = clipPaths.Where(p => !File.Exists(p)).Select(Path.GetFileName).ToList();
        if (missing.Count > 0)
        {
            throw new ProviderException($"Clips are missing: {string.Join(", ", missing)}; run video generation for those shots again.");
        }
        var clips = new List<MediaInfo>();
        foreach (var path in clipPaths)
        {
            clips.Add(await ffmpeg.ProbeAsync(path, cancellationToken));
        }
        var first = clips[0];
        var uniform = clips.All(c => c.Codec == "h264" && c.PixelFormat == "yuv420p" && c.Width == first.Width && c.Height == first.Height
            && c.FrameRate == first.FrameRate);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        // Outside the served media folder: the list names the server's absolute paths.
        var list = Path.Combine(Path.GetTempPath(), $"stagestream-{Guid.NewGuid():N}.concat.txt");
        try
        {
            await DataFolder.WriteAtomicallyAsync(outputPath, async part =>
            {
                if (uniform)
                {
                    await File.WriteAllTextAsync(list, ConcatList(clipPaths), new UTF8Encoding(false), cancellationToken);
                    await ffmpeg.RunFfmpegAsync(
                        ["-f", "concat", "-safe", "0", "-i", list, "-map", "0:v", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", part],
                        cancellationToken);
                }
                else
                {
                    logger.LogInformation("Clips differ in codec, size or rate; re-encoding {Count} clips into one film", clipPaths.Count);
                    await ffmpeg.RunFfmpegAsync(ReencodeArguments(clipPaths, first, part, options.Value.X264Preset), cancellationToken);
                }
            });
        }
        finally
        {
            File.Delete(list);
        }
    }

    /// <summary>The concat demuxer's list: absolute paths, single quotes escaped the way it expects.</summary>
    internal static string ConcatList(IEnumerable<string> clipPaths)
    {
        var builder = new StringBuilder();
        foreach (var path in clipPaths)
        {
            builder.Append("file '").Append(Path.GetFullPath(path).Replace("'", @"'\''")).Append("'\n");
        }
        return builder.ToString();
    }

    private static List<string> ReencodeArguments(IReadOnlyList<string> clipPaths, MediaInfo first, string output, string preset)
    {
        var width = Math.Max(first.Width / 2 * 2, 2);
        var height = Math.Max(first.Height / 2 * 2, 2);
        var fps = FfmpegVideoProvider.FramesPerSecond.ToString(CultureInfo.InvariantCulture);
        var arguments = new List<string>();
        var filter = new StringBuilder();
        for (var i = 0; i < clipPaths.Count; i++)
        {
            arguments.AddRange(["-i", clipPaths[i]]);
            filter.Append(CultureInfo.InvariantCulture,
                $"[{i}:v]scale={width}:{height}:force_original_aspect_ratio=decrease,pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={fps},format=yuv420p[v{i}];");
        }
        for (var i = 0; i < clipPaths.Count; i++)
        {
            filter.Append(CultureInfo.InvariantCulture, $"[v{i}]");
        }
        filter.Append(CultureInfo.InvariantCulture, $"concat=n={clipPaths.Count}:v=1:a=0[film]");
        arguments.AddRange(
        [
            "-filter_complex", filter.ToString(), "-map", "[film]", "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-an", "-f", "mp4", output,
        ]);
        return arguments;
    }
}
