using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;
using StageStream.Core.Narration;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// Joins the clips into the film with its sound and subtitles. Clips that share codec, size and rate (all offline
/// ones do) are joined by the concat demuxer without re-encoding; a mix (clips from different video providers), or
/// burned-in subtitles, re-encode the picture at the first clip's size. The sound is each shot's speech at its
/// place, over the background music ducked under it, loudness-normalised in two passes (EBU R128); the subtitles
/// are also a soft <c>mov_text</c> track.
/// </summary>
public sealed class FfmpegFilmAssembler(
    Ffmpeg ffmpeg, IOptions<OfflineOptions> options, IOptionsMonitor<NarrationOptions> narration, ILogger<FfmpegFilmAssembler> logger) : IFilmAssembler
{
    public async Task AssembleAsync(FilmRequest request, CancellationToken cancellationToken)
    {
        if (request.Shots.Count == 0)
        {
            throw new ProviderException("There are no clips to join into a film.");
        }
        var missing = request.Shots.SelectMany(s => new[] { s.ClipPath, s.VoicePath }).Where(p => p is not null && !File.Exists(p))
            .Select(Path.GetFileName).ToList();
        if (missing.Count > 0)
        {
            throw new ProviderException($"Clips or voices are missing: {string.Join(", ", missing)}; run video generation for those shots again.");
        }
        // An ffprobe process per clip costs more than a short clip's audio; clips known alike are not probed.
        var clips = new List<MediaInfo>();
        foreach (var shot in request.ClipsAlike ? request.Shots.Take(1) : request.Shots)
        {
            clips.Add(await ffmpeg.ProbeAsync(shot.ClipPath, cancellationToken));
        }
        var first = clips[0];
        var uniform = clips.All(c => c.Codec == "h264" && c.PixelFormat == "yuv420p" && c.Width == first.Width && c.Height == first.Height
            && c.FrameRate == first.FrameRate);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!);
        // Outside the served media folder: the list names the server's absolute paths.
        var temp = Path.Combine(Path.GetTempPath(), $"stagestream-{Guid.NewGuid():N}");
        var list = temp + ".concat.txt";
        var mix = temp + ".mix.wav";
        var subtitles = temp + ".srt";
        try
        {
            var settings = narration.CurrentValue;
            await MixSoundAsync(request, mix, settings, cancellationToken);
            var gain = await LoudnessFilterAsync(mix, settings.LoudnessTarget, cancellationToken);

            var arguments = new List<string>();
            string videoMap;
            if (uniform && !request.BurnSubtitles)
            {
                await File.WriteAllTextAsync(list, ConcatList(request.Shots.Select(s => s.ClipPath)), new UTF8Encoding(false), cancellationToken);
                arguments.AddRange(["-f", "concat", "-safe", "0", "-i", list]);
                videoMap = "0:v";
            }
            else
            {
                logger.LogInformation("Re-encoding {Count} clips into one film (mixed clips: {Mixed}, burned-in subtitles: {Burn})",
                    request.Shots.Count, !uniform, request.BurnSubtitles);
                foreach (var shot in request.Shots)
                {
                    arguments.AddRange(["-i", shot.ClipPath]);
                }
                videoMap = "[film]";
            }
            var audioInput = arguments.Count(a => a == "-i");
            arguments.AddRange(["-i", mix]);
            var subtitleInput = -1;
            if (request.SubtitlesPath is not null)
            {
                // A copy with a plain name: the subtitles filter's argument is parsed by ffmpeg's own escaping rules.
                File.Copy(request.SubtitlesPath, subtitles, overwrite: true);
                subtitleInput = audioInput + 1;
                arguments.AddRange(["-i", subtitles]);
            }
            if (videoMap == "[film]")
            {
                var filter = ReencodeFilter(request.Shots.Count, first, request.BurnSubtitles && request.SubtitlesPath is not null ? subtitles : null, settings);
                arguments.AddRange(["-filter_complex", filter, "-map", "[film]", "-c:v", "libx264", "-preset", options.Value.X264Preset, "-pix_fmt", "yuv420p"]);
            }
            else
            {
                arguments.AddRange(["-map", videoMap, "-c:v", "copy"]);
            }
            arguments.AddRange(["-map", $"{audioInput}:a", "-af", gain, "-ar", SpeechAudio.SampleRate.ToString(CultureInfo.InvariantCulture),
                "-c:a", "aac", "-b:a", "160k"]);
            if (subtitleInput >= 0)
            {
                arguments.AddRange(["-map", $"{subtitleInput}:s", "-c:s", "mov_text"]);
                if (request.SubtitleLanguage is not null)
                {
                    arguments.AddRange(["-metadata:s:s:0", $"language={request.SubtitleLanguage}"]);
                }
            }
            arguments.AddRange(["-movflags", "+faststart", "-f", "mp4"]);
            await DataFolder.WriteAtomicallyAsync(request.OutputPath, part => ffmpeg.RunFfmpegAsync([.. arguments, part], cancellationToken));
        }
        finally
        {
            foreach (var file in new[] { list, mix, subtitles })
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>
    /// The film's sound before normalisation: each shot's speech delayed to its place and padded to the shot's
    /// length, one after the other; with music, the music looped to the film's length, faded in and out and
    /// compressed by the narration (side-chain), under it.
    /// </summary>
    private async Task MixSoundAsync(FilmRequest request, string output, NarrationOptions settings, CancellationToken cancellationToken)
    {
        var arguments = new List<string>();
        var filter = new StringBuilder();
        var inputs = 0;
        var total = request.Shots.Sum(s => Frames(s.DurationSeconds)) / (double)FfmpegVideoProvider.FramesPerSecond;
        for (var i = 0; i < request.Shots.Count; i++)
        {
            var shot = request.Shots[i];
            var length = Seconds(Frames(shot.DurationSeconds) / (double)FfmpegVideoProvider.FramesPerSecond);
            if (shot.VoicePath is null)
            {
                filter.Append(CultureInfo.InvariantCulture, $"anullsrc=r={SpeechAudio.SampleRate}:cl=mono,atrim=0:{length}[a{i}];");
                continue;
            }
            arguments.AddRange(["-i", shot.VoicePath]);
            var delay = (int)Math.Round(shot.VoiceOffsetSeconds * 1000);
            filter.Append(CultureInfo.InvariantCulture,
                $"[{inputs++}:a]aformat=sample_rates={SpeechAudio.SampleRate}:channel_layouts=mono,adelay={delay}:all=1,apad=whole_dur={length},atrim=0:{length},asetpts=N/SR/TB[a{i}];");
        }
        for (var i = 0; i < request.Shots.Count; i++)
        {
            filter.Append(CultureInfo.InvariantCulture, $"[a{i}]");
        }
        filter.Append(CultureInfo.InvariantCulture, $"concat=n={request.Shots.Count}:v=0:a=1");
        if (request.MusicPath is null)
        {
            filter.Append("[mix]");
        }
        else
        {
            arguments.AddRange(["-stream_loop", "-1", "-i", request.MusicPath]);
            var fadeOut = Math.Min(2, total / 4);
            filter.Append("[voice];[voice]asplit=2[speech][key];");
            filter.Append(CultureInfo.InvariantCulture,
                $"[{inputs}:a]aformat=sample_rates={SpeechAudio.SampleRate}:channel_layouts=mono,atrim=0:{Seconds(total)},asetpts=N/SR/TB," +
                $"afade=t=in:d={Seconds(Math.Min(1, total / 4))},afade=t=out:st={Seconds(total - fadeOut)}:d={Seconds(fadeOut)}," +
                $"volume={Seconds(settings.MusicVolumeDb)}dB[music];");
            // Ducking: the narration drives a compressor on the music, which drops under speech and comes back after it.
            filter.Append("[music][key]sidechaincompress=threshold=0.01:ratio=10:attack=20:release=300:makeup=1[ducked];");
            filter.Append("[speech][ducked]amix=inputs=2:duration=first:normalize=0[mix]");
        }
        arguments.AddRange(["-filter_complex", filter.ToString(), "-map", "[mix]", "-c:a", "pcm_s16le", "-f", "wav", output]);
        await ffmpeg.RunFfmpegAsync(arguments, cancellationToken);
    }

    /// <summary>
    /// The second loudnorm pass: the mix is measured first, then normalised linearly to <paramref name="target"/> LUFS
    /// (a short film is too short for loudnorm's one-pass dynamic mode to settle on the target).
    /// </summary>
    private async Task<string> LoudnessFilterAsync(string mix, double target, CancellationToken cancellationToken)
    {
        var goal = string.Create(CultureInfo.InvariantCulture, $"I={target}:TP=-1.5:LRA=11");
        var report = await ffmpeg.RunFfmpegForReportAsync(["-i", mix, "-af", $"loudnorm={goal}:print_format=json", "-f", "null", "-"], cancellationToken);
        var start = report.LastIndexOf('{');
        var end = report.LastIndexOf('}');
        if (start < 0 || end < start)
        {
            throw new ProviderException("ffmpeg's loudnorm filter did not report the film's loudness.");
        }
        using var measured = JsonDocument.Parse(report[start..(end + 1)]);
        string Value(string name) => measured.RootElement.GetProperty(name).GetString() ?? "0";
        if (Value("input_i") is "-inf" || !double.TryParse(Value("input_i"), NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            // Silence (no voice at all): nothing to normalise.
            return "anull";
        }
        return $"loudnorm={goal}:measured_I={Value("input_i")}:measured_TP={Value("input_tp")}:measured_LRA={Value("input_lra")}" +
               $":measured_thresh={Value("input_thresh")}:offset={Value("target_offset")}:linear=true";
    }

    private static int Frames(double seconds) => FfmpegVideoProvider.FrameCount(seconds);

    private static string Seconds(double value) => Math.Round(value, 3).ToString(CultureInfo.InvariantCulture);

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

    private static string ReencodeFilter(int count, MediaInfo first, string? burnSubtitles, NarrationOptions settings)
    {
        var width = Math.Max(first.Width / 2 * 2, 2);
        var height = Math.Max(first.Height / 2 * 2, 2);
        var fps = FfmpegVideoProvider.FramesPerSecond.ToString(CultureInfo.InvariantCulture);
        var filter = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            filter.Append(CultureInfo.InvariantCulture,
                $"[{i}:v]scale={width}:{height}:force_original_aspect_ratio=decrease,pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={fps},format=yuv420p[v{i}];");
        }
        for (var i = 0; i < count; i++)
        {
            filter.Append(CultureInfo.InvariantCulture, $"[v{i}]");
        }
        filter.Append(CultureInfo.InvariantCulture, $"concat=n={count}:v=1:a=0");
        if (burnSubtitles is not null)
        {
            // libass draws SubRip at a 288-line script height, so the size is given in those units.
            var size = Math.Max(6, (int)Math.Round(Subtitles.FontShare * Math.Min(width, height) * 288 / height));
            var style = string.Create(CultureInfo.InvariantCulture,
                $"FontName={settings.SubtitleFont},FontSize={size},PrimaryColour=&H00FFFFFF,OutlineColour=&H80000000,BorderStyle=1,Outline=1,Shadow=0,MarginV=12");
            filter.Append(CultureInfo.InvariantCulture, $"[joined];[joined]subtitles=filename={Escape(burnSubtitles)}:charenc=UTF-8:force_style='{style}'");
        }
        filter.Append("[film]");
        return filter.ToString();
    }

    /// <summary>A path as a filter option value: the characters ffmpeg's filter syntax gives meaning to, escaped.</summary>
    private static string Escape(string path) => path.Replace("\\", "/").Replace(":", "\\:").Replace("'", "\\'").Replace(",", "\\,");
}
