using System.Text.Json.Nodes;
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
        var done = await ShotWork.RunAsync(context, "video", shot => shot.ClipPath is null || !File.Exists(context.Data.ToFull(shot.ClipPath)), async shot =>
        {
            var path = context.NewMediaPath("clip", shot.Sequence, "mp4");
            await provider.GenerateAsync(
                new ClipRequest(context.Data.ToFull(shot.ImagePath!), shot.CameraMove ?? CameraMove.Static, shot.CameraDescription ?? "",
                    shot.Narration, shot.VisualPrompt, shot.DurationSeconds, context.Options.Width, context.Options.Height, path),
                new Progress<int>(),
                cancellationToken);
            StoryboardExecutor.DeleteMedia(context.Data, shot.ClipPath);
            shot.ClipPath = context.Data.ToRelative(path);
            shot.ClipProvider = provider.Name;
            return new JsonObject { ["url"] = ShotWork.MediaUrl(shot.ClipPath), ["provider"] = provider.Name, ["duration"] = shot.DurationSeconds };
        }, cancellationToken);

        var film = context.NewMediaPath("film", 0, "mp4");
        var clips = project.ShotsInOrder.Select(s => context.Data.ToFull(s.ClipPath!)).ToList();
        await assembler.AssembleAsync(clips, film, cancellationToken);
        StoryboardExecutor.DeleteMedia(context.Data, project.FinalVideoPath);
        project.FinalVideoPath = context.Data.ToRelative(film);
        await context.SaveAsync(cancellationToken);
        var filmUrl = ShotWork.MediaUrl(project.FinalVideoPath);
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
