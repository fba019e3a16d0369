using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using StageStream.Core.Narration;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;
using StageStream.Core.Providers;
using StageStream.Core.Providers.Offline;

namespace StageStream.Core.Pipeline.Executors;

/// <summary>
/// video_generation: the narration spoken per shot (which sets each shot's length unless the user fixed it), a clip
/// per shot from its frame and camera move, then the subtitles and the film with its sound.
/// </summary>
public sealed class VideoExecutor(ProviderRegistry providers, IFilmAssembler assembler, IOptionsMonitor<NarrationOptions> narration) : IStageExecutor
{
    public string Stage => StageNames.VideoGeneration;

    public async Task<StageOutcome> ExecuteAsync(StageContext context, CancellationToken cancellationToken)
    {
        var provider = providers.For<IVideoProvider>(Stage);
        context.Record.Provider = provider.Name;
        var project = context.Project;
        var settings = narration.CurrentValue;
        var voices = await SpeakAsync(context, settings, cancellationToken);

        Func<Shot, bool> needsWork = shot => shot.ClipPath is null || !File.Exists(context.Data.ToFull(shot.ClipPath));
        var (width, height) = context.FrameSize;
        // current/total stay counts of shots (what clients expect of a progress message); a vendor's own
        // percentage of the clip goes into the message.
        var done = await ShotWork.RunAsync(context, "video", needsWork, async (shot, slot) =>
        {
            var path = context.NewMediaPath("clip", shot.Sequence, "mp4");
            // 0 and 100 say nothing the shot's own start and item_completed do not.
            var vendorProgress = new VendorProgress(percent => percent is > 0 and < 100
                ? slot.Gate.RunAsync(async () =>
                {
                    await context.ProgressAsync(slot.Index, slot.Count, $"video {slot.Index + 1}/{slot.Count} (shot {shot.Sequence}): {percent}%", cancellationToken);
                    return true;
                })
                : Task.CompletedTask);
            try
            {
                await provider.GenerateAsync(
                    new ClipRequest(context.Data.ToFull(shot.ImagePath!), shot.CameraMove ?? CameraMove.Static, shot.CameraDescription ?? "",
                        shot.Narration, shot.VisualPrompt, shot.DurationSeconds, width, height, path),
                    vendorProgress,
                    cancellationToken);
            }
            finally
            {
                await vendorProgress.DrainAsync();
            }
            return () =>
            {
                context.Data.Delete(shot.ClipPath);
                shot.ClipPath = context.Data.ToRelative(path);
                shot.ClipProvider = provider.Name;
                return new JsonObject { ["url"] = DataFolder.UrlOf(shot.ClipPath), ["provider"] = provider.Name, ["duration"] = shot.DurationSeconds };
            };
        }, cancellationToken);

        var shots = project.ShotsInOrder.ToList();
        var film = context.NewMediaPath("film", 0, "mp4");
        var srt = Path.ChangeExtension(film, "srt");
        var vtt = Path.ChangeExtension(film, "vtt");
        var cues = Subtitles.Build(Timeline(shots, settings), width, height);
        await File.WriteAllTextAsync(srt, Subtitles.ToSrt(cues), new UTF8Encoding(false), cancellationToken);
        await File.WriteAllTextAsync(vtt, Subtitles.ToVtt(cues), new UTF8Encoding(false), cancellationToken);
        await context.ProgressAsync(shots.Count, shots.Count, "Joining the clips, the voices and the music into the film", cancellationToken);
        await assembler.AssembleAsync(new FilmRequest(
            shots.Select(s => new FilmShot(context.Data.ToFull(s.ClipPath!), s.DurationSeconds,
                s.VoicePath is null ? null : context.Data.ToFull(s.VoicePath), settings.LeadSeconds)).ToList(),
            film, cues.Count > 0 ? srt : null, project.BurnSubtitles,
            project.MusicPath is null ? null : context.Data.ToFull(project.MusicPath),
            Subtitles.LanguageOf(shots.Select(s => s.Narration)),
            ClipsAlike: shots.All(s => s.ClipProvider == OfflineProvider.Name)), cancellationToken);
        context.Data.Delete(project.FinalVideoPath, project.SubtitlesSrtPath, project.SubtitlesVttPath);
        project.FinalVideoPath = context.Data.ToRelative(film);
        project.SubtitlesSrtPath = context.Data.ToRelative(srt);
        project.SubtitlesVttPath = context.Data.ToRelative(vtt);
        await context.SaveAsync(cancellationToken);
        var filmUrl = DataFolder.UrlOf(project.FinalVideoPath);
        await context.Report.ItemCompletedAsync("film", 0, new JsonObject
        {
            ["url"] = filmUrl,
            ["srt_url"] = DataFolder.UrlOf(project.SubtitlesSrtPath),
            ["vtt_url"] = DataFolder.UrlOf(project.SubtitlesVttPath),
        }, cancellationToken);
        return new StageOutcome(Result: filmUrl, Metadata: new JsonObject
        {
            ["clips"] = done,
            ["voices"] = voices,
            ["film_url"] = filmUrl,
            ["duration"] = shots.Sum(s => s.DurationSeconds),
            ["provider"] = provider.Name,
        });
    }

    /// <summary>
    /// Speaks the narration of each shot that has no voice yet (an <c>item_completed</c> of type <c>voice</c> each).
    /// A shot whose duration the user did not fix becomes lead + speech + pause long, in whole frames; if that
    /// changes its length, its clip is made again.
    /// </summary>
    private async Task<int> SpeakAsync(StageContext context, NarrationOptions settings, CancellationToken cancellationToken)
    {
        var voice = providers.Named<IVoiceProvider>(settings.Provider, "Narration:Provider", "The narration voice");
        var project = context.Project;
        return await ShotWork.RunAsync(context, "voice", shot => shot.VoicePath is null || !File.Exists(context.Data.ToFull(shot.VoicePath)), async (shot, _) =>
        {
            var path = context.NewMediaPath("voice", shot.Sequence, "wav");
            var seconds = await voice.SpeakAsync(
                new SpeechRequest(shot.Narration, project.Voice ?? settings.Voice, project.VoiceModel ?? settings.Model, path), cancellationToken);
            return () =>
            {
                context.Data.Delete(shot.VoicePath);
                shot.VoicePath = context.Data.ToRelative(path);
                shot.VoiceProvider = voice.Name;
                shot.SpeechSeconds = Math.Round(seconds, 3);
                if (!shot.DurationFixed)
                {
                    var fitted = FrameAligned(settings.LeadSeconds + seconds + settings.PauseSeconds);
                    if (Math.Abs(fitted - shot.DurationSeconds) > 0.001)
                    {
                        shot.DurationSeconds = fitted;
                        // The clip was filmed for the old length.
                        context.Data.Delete(shot.ClipPath);
                        shot.ClipPath = null;
                    }
                }
                return new JsonObject
                {
                    ["url"] = DataFolder.UrlOf(shot.VoicePath),
                    ["provider"] = voice.Name,
                    ["text"] = shot.Narration,
                    ["speech_seconds"] = shot.SpeechSeconds,
                    ["duration"] = shot.DurationSeconds,
                };
            };
        }, cancellationToken);
    }

    /// <summary>Seconds rounded up to whole frames, so the clips, the sound and the subtitles agree on every shot's length.</summary>
    public static double FrameAligned(double seconds) =>
        Math.Ceiling(Math.Round(seconds * FfmpegVideoProvider.FramesPerSecond, 6)) / FfmpegVideoProvider.FramesPerSecond;

    /// <summary>Where each shot's speech lies in the film: after the shots before it and the lead.</summary>
    private static IEnumerable<SpokenShot> Timeline(IReadOnlyList<Shot> shots, NarrationOptions settings)
    {
        var start = 0.0;
        foreach (var shot in shots)
        {
            var length = FfmpegVideoProvider.FrameCount(shot.DurationSeconds) / (double)FfmpegVideoProvider.FramesPerSecond;
            var speech = Math.Min(shot.SpeechSeconds ?? 0, Math.Max(0, length - settings.LeadSeconds));
            yield return new SpokenShot(shot.Narration, start + settings.LeadSeconds, speech);
            start += length;
        }
    }
}

/// <summary>
/// Publishes a provider's progress reports in order and one at a time (they share the stage's DbContext),
/// without blocking the provider that reports.
/// </summary>
internal sealed class VendorProgress(Func<int, Task> publish) : IProgress<int>
{
    private readonly Lock _gate = new();
    private Task _tail = Task.CompletedTask;

    public void Report(int value)
    {
        lock (_gate)
        {
            _tail = Next(_tail, value, publish);
        }
    }

    /// <summary>Waits for what was reported to be published.</summary>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            return _tail;
        }
    }

    private static async Task Next(Task previous, int value, Func<int, Task> publish)
    {
        await previous;
        try
        {
            await publish(value);
        }
        catch (Exception)
        {
            // Progress is a courtesy: a report that cannot be published (the run is being cancelled)
            // must not take the place of the clip's own outcome.
        }
    }
}
