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
