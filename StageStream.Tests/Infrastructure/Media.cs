using System.Diagnostics;
using System.Globalization;

namespace StageStream.Tests.Infrastructure;

public static class Media
{
    /// <summary>The duration of a media file in seconds, by ffprobe.</summary>
    public static async Task<double> DurationAsync(string path)
    {
        var output = await RunAsync("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path);
        return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>codec_name and pix_fmt of the first video stream.</summary>
    public static async Task<(string Codec, string PixelFormat)> VideoFormatAsync(string path)
    {
        var output = await RunAsync("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,pix_fmt", "-of", "csv=p=0", path);
        var parts = output.Trim().Split(',');
        return (parts[0], parts[1]);
    }

    /// <summary>A mono 16-bit PCM WAV of a sine tone, made in memory.</summary>
    public static byte[] ToneWav(double seconds, double frequency, int sampleRate = 24000, double amplitude = 0.3)
    {
        var samples = (int)(seconds * sampleRate);
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        writer.Write("RIFF"u8);
        writer.Write(36 + samples * 2);
        writer.Write("WAVEfmt "u8);
        writer.Write(16);
        writer.Write((short)1);
        writer.Write((short)1);
        writer.Write(sampleRate);
        writer.Write(sampleRate * 2);
        writer.Write((short)2);
        writer.Write((short)16);
        writer.Write("data"u8);
        writer.Write(samples * 2);
        for (var i = 0; i < samples; i++)
        {
            writer.Write((short)(amplitude * short.MaxValue * Math.Sin(2 * Math.PI * frequency * i / sampleRate)));
        }
        writer.Flush();
        return stream.ToArray();
    }

    /// <summary>Runs ffmpeg (quietly, to a null output unless the arguments name one) and returns its stderr.</summary>
    public static async Task<string> FfmpegReportAsync(params string[] args)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-hide_banner", "-nostdin", "-nostats", .. args])
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await output;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg failed: {error}");
        }
        return error;
    }

    /// <summary>codec_type of every stream, in order.</summary>
    public static async Task<List<string>> StreamTypesAsync(string path) =>
        (await RunAsync("ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", path))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>Width and height of the first video stream.</summary>
    public static async Task<(int Width, int Height)> VideoSizeAsync(string path)
    {
        var parts = (await RunAsync("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path))
            .Trim().Split(',');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    public static bool IsPng(byte[] bytes) => bytes.Length > 8 && bytes[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed: {error}");
        }
        return output;
    }
}
