using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SkiaSharp;
using StageStream.Tests.Infrastructure;
using static StageStream.Tests.Film.FilmRuns;

namespace StageStream.Tests.Film;

/// <summary>
/// Whole films on the offline providers (espeak-ng, ffmpeg) through the real app: sound, subtitles, shapes, music
/// and re-doing one edited shot. Small frames (320x180) and short stories keep each run to seconds.
/// </summary>
public sealed class NarratedFilmTests
{
    private const string Story = "The keeper climbed the tower at dusk. A storm came in from the sea. At dawn the boat was home.";

    [Fact]
    public async Task NarratedFilmHasSoundAndSubtitlesTimedToItsShots()
    {
        await using var app = await TestApp.StartAsync(SmallFrames);
        var id = await CreateAsync(app, new { name = "Keeper", original_text = Story });

        var project = await RunAsync(app, id);

        var film = await DownloadAsync(app, project.GetProperty("final_video_url").GetString()!, "film.mp4");
        Assert.Equal(["h264,video", "aac,audio", "mov_text,subtitle"], await Media.StreamTypesAsync(film));
        var shots = Shots(project);
        Assert.Equal(3, shots.Count);
        var windows = ShotWindows(project);
        Assert.InRange(await Media.DurationAsync(film), windows[^1].End - 0.1, windows[^1].End + 0.1);
        Assert.All(shots, shot =>
        {
            Assert.Equal("offline", shot.GetProperty("voice_provider").GetString());
            // The shot lasts as long as its speech, its lead and its pause.
            Assert.InRange(shot.GetProperty("duration").GetDouble() - shot.GetProperty("speech_seconds").GetDouble(), 0.75, 0.85);
        });

        // Every stretch of sound lies inside one shot, and every shot has its speech.
        var sound = await SoundAsync(film);
        Assert.NotEmpty(sound);
        foreach (var (start, end) in sound)
        {
            Assert.Contains(windows, w => start >= w.Start - 0.05 && end <= w.End + 0.05);
        }
        Assert.All(windows, w => Assert.Contains(sound, s => s.Start >= w.Start - 0.05 && s.End <= w.End + 0.05));

        Assert.InRange(await LoudnessAsync(film), -17, -15);

        // The subtitle files: served with their types, their cues inside the shots' speech, their text the narration.
        var srt = await app.Client.GetAsync(project.GetProperty("subtitles_srt_url").GetString());
        var vtt = await app.Client.GetAsync(project.GetProperty("subtitles_vtt_url").GetString());
        Assert.Equal("application/x-subrip", srt.Content.Headers.ContentType?.MediaType);
        Assert.Equal("text/vtt", vtt.Content.Headers.ContentType?.MediaType);
        var vttText = await vtt.Content.ReadAsStringAsync();
        Assert.StartsWith("WEBVTT", vttText);
        var srtCues = ParseCues(await srt.Content.ReadAsStringAsync());
        Assert.Equal(srtCues, ParseCues(vttText));
        for (var i = 0; i < shots.Count; i++)
        {
            var (start, end) = windows[i];
            var speech = shots[i].GetProperty("speech_seconds").GetDouble();
            var cues = srtCues.Where(c => c.Start >= start - 0.001 && c.End <= end + 0.001).ToList();
            Assert.NotEmpty(cues);
            Assert.Equal(start + 0.2, cues[0].Start, 0.01);
            Assert.Equal(start + 0.2 + speech, cues[^1].End, 0.01);
            Assert.Equal(Words(shots[i].GetProperty("narration").GetString()!), Words(string.Join(" ", cues.Select(c => c.Text))));
        }
    }

    [Theory]
    [InlineData("9:16", 180, 320)]
    [InlineData("1:1", 180, 180)]
    public async Task PortraitAndSquareProjectsHaveFramesAndFilmsOfThatShape(string aspect, int width, int height)
    {
        await using var app = await TestApp.StartAsync(SmallFrames);
        var id = await CreateAsync(app, new { name = "Shape", original_text = "灯塔守夜人提着油灯爬上塔顶。", aspect_ratio = aspect });

        var project = await RunAsync(app, id);

        Assert.Equal(aspect, project.GetProperty("aspect_ratio").GetString());
        using var frame = SKBitmap.Decode(await app.Client.GetByteArrayAsync(Shots(project)[0].GetProperty("image_url").GetString()));
        Assert.Equal((width, height), (frame.Width, frame.Height));
        var film = await DownloadAsync(app, project.GetProperty("final_video_url").GetString()!, "film.mp4");
        Assert.Equal((width, height), await Media.VideoSizeAsync(film));
        Assert.Contains("aac,audio", await Media.StreamTypesAsync(film));
    }

    [Fact]
    public async Task MusicDucksUnderTheNarrationAndNonAudioIsRefused()
    {
        // A long pause between shots leaves music on its own long enough to measure it there.
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>(SmallFrames) { ["Narration:PauseSeconds"] = "1.6" });
        var id = await CreateAsync(app, new { name = "Music", original_text = "The keeper climbed the tower at dusk. At dawn the boat was home." });

        var refused = await UploadAsync(app, id, "cover.mp3", Media.ToneWav(0.1, 100).Take(20).ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("cover.mp3", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        var picture = await UploadAsync(app, id, "picture.png", File.ReadAllBytes(await PngAsync(app)));
        Assert.Equal(HttpStatusCode.BadRequest, picture.StatusCode);

        // A low hum: espeak's voice has little below 80 Hz, so a low-pass keeps the music and drops the speech.
        var upload = await UploadAsync(app, id, "hum.wav", Media.ToneWav(3, 55, amplitude: 0.5));
        Assert.True(upload.StatusCode == HttpStatusCode.OK, await upload.Content.ReadAsStringAsync());
        Assert.NotNull((await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("music_url").GetString());

        var project = await RunAsync(app, id);

        var film = await DownloadAsync(app, project.GetProperty("final_video_url").GetString()!, "film.mp4");
        var windows = ShotWindows(project);
        var shots = Shots(project);
        const string hum = "lowpass=f=90,lowpass=f=90,lowpass=f=90,lowpass=f=90";
        for (var i = 0; i < shots.Count; i++)
        {
            var speech = shots[i].GetProperty("speech_seconds").GetDouble();
            var underSpeech = await LevelAsync(film, windows[i].Start + 0.2 + speech / 2 - 0.2, 0.4, hum);
            var alone = await LevelAsync(film, windows[i].End - 0.8, 0.5, hum);
            Assert.True(underSpeech < alone - 4, $"shot {i + 1}: music at {underSpeech:0.0} dB under speech, {alone:0.0} dB alone");
        }
        Assert.InRange(await LoudnessAsync(film), -17, -15);
    }

    [Fact]
    public async Task EditingOneShotsNarrationRedoesItsVoiceClipAndTheFilmOnly()
    {
        await using var app = await TestApp.StartAsync(SmallFrames);
        var id = await CreateAsync(app, new { name = "Edit", original_text = Story });
        var before = await RunAsync(app, id);

        var patch = await app.Client.PatchAsJsonAsync($"/api/v1/projects/{id}/shots/2", new { narration = "A storm came, and the sea rose high over the rocks." });
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var after = await RunAsync(app, id);

        var (old, now) = (Shots(before), Shots(after));
        foreach (var i in new[] { 0, 2 })
        {
            Assert.Equal(old[i].GetProperty("voice_url").GetString(), now[i].GetProperty("voice_url").GetString());
            Assert.Equal(old[i].GetProperty("clip_url").GetString(), now[i].GetProperty("clip_url").GetString());
            Assert.Equal(old[i].GetProperty("image_url").GetString(), now[i].GetProperty("image_url").GetString());
        }
        Assert.NotEqual(old[1].GetProperty("voice_url").GetString(), now[1].GetProperty("voice_url").GetString());
        Assert.NotEqual(old[1].GetProperty("clip_url").GetString(), now[1].GetProperty("clip_url").GetString());
        Assert.True(now[1].GetProperty("speech_seconds").GetDouble() > old[1].GetProperty("speech_seconds").GetDouble());
        Assert.NotEqual(before.GetProperty("final_video_url").GetString(), after.GetProperty("final_video_url").GetString());
        var film = await DownloadAsync(app, after.GetProperty("final_video_url").GetString()!, "film.mp4");
        Assert.InRange(await Media.DurationAsync(film), ShotWindows(after)[^1].End - 0.1, ShotWindows(after)[^1].End + 0.1);
    }

    [Fact]
    public async Task BurnedInSubtitlesDrawOnThePicture()
    {
        await using var app = await TestApp.StartAsync(SmallFrames);
        var id = await CreateAsync(app, new { name = "Burn", original_text = "灯塔守夜人提着油灯爬上塔顶。", burn_subtitles = true });

        var project = await RunAsync(app, id);

        var shot = Shots(project)[0];
        var film = await DownloadAsync(app, project.GetProperty("final_video_url").GetString()!, "film.mp4");
        var clip = await DownloadAsync(app, shot.GetProperty("clip_url").GetString()!, "clip.mp4");
        Assert.Contains("mov_text,subtitle", await Media.StreamTypesAsync(film));
        var at = (0.2 + shot.GetProperty("speech_seconds").GetDouble() / 2).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        var (filmFrame, clipFrame) = (Path.Combine(app.DataPath, "f.png"), Path.Combine(app.DataPath, "c.png"));
        await Media.FfmpegReportAsync("-ss", at, "-i", film, "-frames:v", "1", filmFrame);
        await Media.FfmpegReportAsync("-ss", at, "-i", clip, "-frames:v", "1", clipFrame);
        using var a = SKBitmap.Decode(filmFrame);
        using var b = SKBitmap.Decode(clipFrame);
        // The bottom fifth, where the subtitles sit, differs; the top fifth does not.
        Assert.True(Difference(a, b, 0.8, 1) > 3 * Difference(a, b, 0, 0.2) + 1, "subtitles not drawn at the bottom");
    }

    private static double Difference(SKBitmap a, SKBitmap b, double from, double to)
    {
        double total = 0;
        var count = 0;
        for (var y = (int)(a.Height * from); y < (int)(a.Height * to); y++)
        {
            for (var x = 0; x < a.Width; x += 2)
            {
                var (p, q) = (a.GetPixel(x, y), b.GetPixel(x, y));
                total += Math.Abs(p.Red - q.Red) + Math.Abs(p.Green - q.Green) + Math.Abs(p.Blue - q.Blue);
                count++;
            }
        }
        return total / count;
    }

    private static async Task<HttpResponseMessage> UploadAsync(TestApp app, string id, string name, byte[] bytes)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", name);
        return await app.Client.PostAsync($"/api/v1/projects/{id}/music", form);
    }

    private static async Task<string> PngAsync(TestApp app)
    {
        var path = Path.Combine(app.DataPath, "picture.png");
        await Media.FfmpegReportAsync("-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", path);
        return path;
    }

    private static string Words(string text) => string.Concat(text.Where(char.IsLetterOrDigit)).ToLowerInvariant();
}
