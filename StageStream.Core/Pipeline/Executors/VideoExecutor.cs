using System.Text.Json.Nodes;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;
using StageStream.Core.Providers;

namespace StageStream.Core.Pipeline.Executors;

/// <summary>video_generation: a clip per shot from its frame and camera move, then the assembled film.</summary>
public sealed class VideoExecutor(ProviderRegistry providers, IFilmAssembler assembler) : IStageExecutor
{
    public string Stage => StageNames.VideoGeneration;

    public async Task<StageOutcome> ExecuteAsync(StageContext context, CancellationToken cancellationToken)
    {
        var provider = providers.For<IVideoProvider>(Stage);
        context.Record.Provider = provider.Name;
        var project = context.Project;
        Func<Shot, bool> needsWork = shot => shot.ClipPath is null || !File.Exists(context.Data.ToFull(shot.ClipPath));
        // ShotWork goes through these shots in this order. current/total stay counts of shots (what clients
        // expect of a progress message); a vendor's own percentage of the clip goes into the message.
        var pending = project.ShotsInOrder.Count(s => context.Force || needsWork(s));
        var index = 0;
        var done = await ShotWork.RunAsync(context, "video", needsWork, async shot =>
        {
            var path = context.NewMediaPath("clip", shot.Sequence, "mp4");
            var slot = index++;
            // 0 and 100 say nothing the shot's own start and item_completed do not.
            var vendorProgress = new VendorProgress(percent => percent is > 0 and < 100
                ? context.ProgressAsync(slot, pending, $"video {slot + 1}/{pending} (shot {shot.Sequence}): {percent}%", cancellationToken)
                : Task.CompletedTask);
            try
            {
                await provider.GenerateAsync(
                    new ClipRequest(context.Data.ToFull(shot.ImagePath!), shot.CameraMove ?? CameraMove.Static, shot.CameraDescription ?? "",
                        shot.Narration, shot.VisualPrompt, shot.DurationSeconds, context.Options.Width, context.Options.Height, path),
                    vendorProgress,
                    cancellationToken);
            }
            finally
            {
                await vendorProgress.DrainAsync();
            }
            context.Data.Delete(shot.ClipPath);
            shot.ClipPath = context.Data.ToRelative(path);
            shot.ClipProvider = provider.Name;
            return new JsonObject { ["url"] = DataFolder.UrlOf(shot.ClipPath), ["provider"] = provider.Name, ["duration"] = shot.DurationSeconds };
        }, cancellationToken);

        var film = context.NewMediaPath("film", 0, "mp4");
        var clips = project.ShotsInOrder.Select(s => context.Data.ToFull(s.ClipPath!)).ToList();
        await assembler.AssembleAsync(clips, film, cancellationToken);
        context.Data.Delete(project.FinalVideoPath);
        project.FinalVideoPath = context.Data.ToRelative(film);
        await context.SaveAsync(cancellationToken);
        var filmUrl = DataFolder.UrlOf(project.FinalVideoPath);
        await context.Report.ItemCompletedAsync("film", 0, new JsonObject { ["url"] = filmUrl }, cancellationToken);
        return new StageOutcome(Result: filmUrl, Metadata: new JsonObject
        {
            ["clips"] = done,
            ["film_url"] = filmUrl,
            ["duration"] = project.Shots.Sum(s => s.DurationSeconds),
            ["provider"] = provider.Name,
        });
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
