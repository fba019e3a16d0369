using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Film;

/// <summary>Projects run through the real app and its REST API, and the measurements the film tests make.</summary>
internal static partial class FilmRuns
{
    public static readonly Dictionary<string, string?> SmallFrames = new()
    {
        ["Pipeline:Width"] = "320",
        ["Pipeline:Height"] = "180",
    };

    public static async Task<string> CreateAsync(TestApp app, object body)
    {
        var created = await app.Client.PostAsJsonAsync("/api/v1/projects", body);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>Runs the pipeline (what is not completed) and waits for the project to end; asserts it completed.</summary>
    public static async Task<JsonElement> RunAsync(TestApp app, string id)
    {
        var run = await app.Client.PostAsync($"/api/v1/projects/{id}/pipeline/run", null);
        Assert.True(run.StatusCode == HttpStatusCode.Accepted, await run.Content.ReadAsStringAsync());
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{id}");
            var status = project.GetProperty("status").GetString();
            if (status is "completed" or "failed" or "cancelled" || DateTime.UtcNow > deadline)
            {
                Assert.True(status == "completed", project.ToString());
                return project;
            }
            await Task.Delay(200);
        }
    }

    public static async Task<string> DownloadAsync(TestApp app, string url, string name)
    {
        var path = Path.Combine(app.DataPath, name);
        await File.WriteAllBytesAsync(path, await app.Client.GetByteArrayAsync(url));
        return path;
    }

    public static List<JsonElement> Shots(JsonElement project) => project.GetProperty("shots").EnumerateArray().ToList();

    /// <summary>Where each shot starts and ends in the film, from the durations the API reports.</summary>
    public static List<(double Start, double End)> ShotWindows(JsonElement project)
    {
        var windows = new List<(double, double)>();
        var start = 0.0;
        foreach (var shot in Shots(project))
        {
            var end = start + shot.GetProperty("duration").GetDouble();
            windows.Add((start, end));
            start = end;
        }
        return windows;
    }

    /// <summary>The stretches of the film's sound that are not silence (ffmpeg's silencedetect at -40 dB, 0.1 s).</summary>
    public static async Task<List<(double Start, double End)>> SoundAsync(string film)
    {
        var duration = await Media.DurationAsync(film);
        var report = await Media.FfmpegReportAsync("-i", film, "-map", "0:a", "-af", "silencedetect=n=-40dB:d=0.1", "-f", "null", "-");
        var sound = new List<(double, double)>();
        var cursor = 0.0;
        var silent = false;
        foreach (Match match in SilenceLine().Matches(report))
        {
            var value = double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            silent = match.Groups[1].Value == "start";
            if (silent && value > cursor + 0.02)
            {
                sound.Add((cursor, value));
            }
            cursor = value;
        }
        if (!silent && duration > cursor + 0.02)
        {
            sound.Add((cursor, duration));
        }
        return sound;
    }

    /// <summary>Integrated loudness (LUFS) of the film's sound, by ffmpeg's ebur128 filter.</summary>
    public static async Task<double> LoudnessAsync(string film)
    {
        var report = await Media.FfmpegReportAsync("-i", film, "-map", "0:a", "-af", "ebur128", "-f", "null", "-");
        var summary = report[report.LastIndexOf("Summary:", StringComparison.Ordinal)..];
        return double.Parse(Integrated().Match(summary).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>The RMS level (dB) of the film's sound from <paramref name="start"/> for <paramref name="length"/> seconds, after <paramref name="filter"/>.</summary>
    public static async Task<double> LevelAsync(string film, double start, double length, string filter)
    {
        var report = await Media.FfmpegReportAsync(
            "-ss", start.ToString("0.###", CultureInfo.InvariantCulture), "-t", length.ToString("0.###", CultureInfo.InvariantCulture),
            "-i", film, "-map", "0:a", "-af", filter + ",astats=metadata=0", "-f", "null", "-");
        var match = RmsLevel().Matches(report).Last();
        return match.Groups[1].Value.Contains("inf", StringComparison.Ordinal) ? -200 : double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>SubRip or WebVTT cues: their times and text.</summary>
    public static List<(double Start, double End, string Text)> ParseCues(string text)
    {
        var cues = new List<(double, double, string)>();
        foreach (var block in text.Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            var timing = Array.FindIndex(lines, l => l.Contains("-->", StringComparison.Ordinal));
            if (timing < 0)
            {
                continue;
            }
            var match = CueTiming().Match(lines[timing]);
            Assert.True(match.Success, $"bad cue timing: {lines[timing]}");
            cues.Add((Time(match.Groups[1].Value), Time(match.Groups[2].Value), string.Join("\n", lines[(timing + 1)..])));
        }
        return cues;

        static double Time(string value) => TimeSpan.ParseExact(value.Replace(',', '.'), @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture).TotalSeconds;
    }

    [GeneratedRegex(@"silence_(start|end): (-?[0-9.]+)")]
    private static partial Regex SilenceLine();

    [GeneratedRegex(@"I:\s+(-?[0-9.]+) LUFS")]
    private static partial Regex Integrated();

    [GeneratedRegex(@"RMS level dB: (-?[0-9.]+|-inf)")]
    private static partial Regex RmsLevel();

    [GeneratedRegex(@"^(\d\d:\d\d:\d\d[,.]\d\d\d) --> (\d\d:\d\d:\d\d[,.]\d\d\d)$")]
    private static partial Regex CueTiming();
}
