using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StageStream.Core.Providers.Offline;

/// <summary>What ffprobe says about a video file.</summary>
public sealed record MediaInfo(double DurationSeconds, string? Codec, string? PixelFormat, int Width, int Height, string? FrameRate);

/// <summary>What ffprobe says about an audio file: its first audio stream's codec (null when it has none) and the duration.</summary>
public sealed record AudioInfo(double DurationSeconds, string? Codec, string? FormatName);

/// <summary>
/// Runs ffmpeg and ffprobe: found on PATH (or <see cref="OfflineOptions.FfmpegSearchPath"/>), started with an argument
/// list (no shell, so no quoting bugs), stderr kept for the error message, and killed when the work is cancelled.
/// </summary>
public sealed class Ffmpeg(IOptions<OfflineOptions> options, ILogger<Ffmpeg> logger)
{
    public const string InstallHint =
        "Install it: `sudo apt-get install ffmpeg` on Debian/Ubuntu, `brew install ffmpeg` on macOS " +
        "(or from https://ffmpeg.org/download.html on Windows), then restart StageStream.";

    public const string EspeakTool = "espeak-ng";

    public const string EspeakInstallHint =
        "Install it: `sudo apt-get install espeak-ng` on Debian/Ubuntu, `brew install espeak-ng` on macOS, then run the stage again.";

    private const int ErrorTailChars = 2000;

    private readonly Dictionary<string, string> _located = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The full path of ffmpeg (or ffprobe); throws <see cref="MissingDependencyException"/> when it is not installed.</summary>
    public string Locate(string tool)
    {
        lock (_lock)
        {
            if (_located.TryGetValue(tool, out var known) && File.Exists(known))
            {
                return known;
            }
        }
        var configured = options.Value.FfmpegSearchPath;
        var searchPath = string.IsNullOrWhiteSpace(configured) ? Environment.GetEnvironmentVariable("PATH") ?? "" : configured;
        var names = OperatingSystem.IsWindows() ? [tool + ".exe", tool] : new[] { tool };
        foreach (var directory in searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            foreach (var name in names)
            {
                var candidate = Path.Combine(directory.Trim('"'), name);
                if (File.Exists(candidate))
                {
                    lock (_lock)
                    {
                        _located[tool] = candidate;
                    }
                    return candidate;
                }
            }
        }
        // Not cached: once the user installs it, the next run finds it without a restart.
        var where = string.IsNullOrWhiteSpace(configured) ? "on PATH" : $"in Providers:Offline:FfmpegSearchPath ({configured})";
        throw new MissingDependencyException(tool == EspeakTool
            ? $"{tool} was not found {where}. The offline narration voice needs it. {EspeakInstallHint}"
            : $"{tool} was not found {where}. The offline video stage needs ffmpeg (with ffprobe) to turn frames into clips and join them. {InstallHint}")
        { Code = "tool_missing", Args = [tool] };
    }

    /// <summary>Runs ffmpeg quietly, overwriting outputs; throws <see cref="ProviderException"/> with its stderr when it fails.</summary>
    public Task RunFfmpegAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", .. arguments], cancellationToken);

    /// <summary>Runs ffmpeg at log level info and returns what it wrote to stderr (the reports of filters like loudnorm).</summary>
    public async Task<string> RunFfmpegForReportAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        (await RunCapturingAsync("ffmpeg", ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-y", .. arguments], cancellationToken)).Errors;

    /// <summary>Runs another tool found the same way (espeak-ng); returns its stdout.</summary>
    public Task<string> RunToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(tool, arguments, cancellationToken);

    /// <summary>The duration and first audio stream of a file; a file ffprobe cannot read at all is a <see cref="ProviderException"/>.</summary>
    public async Task<AudioInfo> ProbeAudioAsync(string path, CancellationToken cancellationToken)
    {
        var json = await RunAsync("ffprobe",
            ["-v", "error", "-select_streams", "a:0", "-show_entries", "format=duration,format_name:stream=codec_name", "-of", "json", path],
            cancellationToken);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var format = root.TryGetProperty("format", out var f) ? f : default;
        var duration = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("duration", out var d)
            && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : 0;
        var formatName = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("format_name", out var n) ? n.GetString() : null;
        var codec = root.TryGetProperty("streams", out var streams) && streams.GetArrayLength() > 0
            && streams[0].TryGetProperty("codec_name", out var c) ? c.GetString() : null;
        return new AudioInfo(duration, codec, formatName);
    }

    public async Task<MediaInfo> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        var json = await RunAsync("ffprobe",
            ["-v", "error", "-select_streams", "v:0", "-show_entries", "format=duration:stream=codec_name,pix_fmt,width,height,r_frame_rate",
             "-of", "json", path],
            cancellationToken);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var duration = root.TryGetProperty("format", out var format) && format.TryGetProperty("duration", out var d)
            && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : 0;
        if (!root.TryGetProperty("streams", out var streams) || streams.GetArrayLength() == 0)
        {
            return new MediaInfo(duration, null, null, 0, 0, null);
        }
        var stream = streams[0];
        return new MediaInfo(duration, Text(stream, "codec_name"), Text(stream, "pix_fmt"), Number(stream, "width"), Number(stream, "height"),
            Text(stream, "r_frame_rate"));

        static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;
        static int Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) ? n : 0;
    }

    /// <summary>Runs a tool to its end and returns its stdout.</summary>
    private async Task<string> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        (await RunCapturingAsync(tool, arguments, cancellationToken)).Output;

    private async Task<(string Output, string Errors)> RunCapturingAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo(Locate(tool))
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        logger.LogDebug("Running {Tool} {Arguments}", tool, string.Join(' ', arguments));
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new MissingDependencyException($"{tool} could not be started ({ex.Message}). {(tool == EspeakTool ? EspeakInstallHint : InstallHint)}")
            { Code = "tool_missing", Args = [tool] };
        }
        // Both pipes are drained while the process runs, or a chatty process blocks on a full pipe.
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Kill(process, tool);
            throw;
        }
        var output = await stdout;
        var errors = (await stderr).Trim();
        if (process.ExitCode != 0)
        {
            var tail = errors.Length > ErrorTailChars ? "…" + errors[^ErrorTailChars..] : errors;
            throw new ProviderException($"{tool} failed with exit code {process.ExitCode}: {(tail.Length > 0 ? tail : "no error output")}")
            { Code = "tool_failed", Args = [tool, process.ExitCode] };
        }
        return (output, errors);
    }

    private void Kill(Process process, string tool)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            // Wait briefly so the half-written output file is released before callers delete it.
            process.WaitForExit(TimeSpan.FromSeconds(5));
            logger.LogDebug("Killed {Tool} (pid {Pid}) on cancellation", tool, process.Id);
        }
        catch (InvalidOperationException)
        {
            // It ended on its own in the meantime.
        }
        catch (Win32Exception ex)
        {
            logger.LogWarning(ex, "Could not kill {Tool} (pid {Pid})", tool, process.Id);
        }
    }
}
