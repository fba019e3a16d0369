using System.Text.Json.Nodes;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;
using StageStream.Core.Providers;

namespace StageStream.Core.Pipeline.Executors;

/// <summary>image_generation: a PNG frame per shot.</summary>
public sealed class ImageExecutor(ProviderRegistry providers) : IStageExecutor
{
    public string Stage => StageNames.ImageGeneration;

    public async Task<StageOutcome> ExecuteAsync(StageContext context, CancellationToken cancellationToken)
    {
        var provider = providers.For<IImageProvider>(Stage);
        context.Record.Provider = provider.Name;
        var count = context.Project.Shots.Count;
        var (width, height) = context.FrameSize;
        var done = await ShotWork.RunAsync(context, "image", shot => shot.ImagePath is null || !File.Exists(context.Data.ToFull(shot.ImagePath)), async (shot, _) =>
        {
            var png = await provider.GenerateAsync(
                new ImageRequest(context.Project.Id, shot.Sequence, count, shot.Narration, shot.VisualPrompt, shot.ShotType, width, height),
                cancellationToken);
            var path = context.NewMediaPath("image", shot.Sequence, "png");
            await DataFolder.WriteAtomicallyAsync(path, part => File.WriteAllBytesAsync(part, png, cancellationToken));
            return () =>
            {
                context.Data.Delete(shot.ImagePath);
                shot.ImagePath = context.Data.ToRelative(path);
                shot.ImageProvider = provider.Name;
                return new JsonObject { ["url"] = DataFolder.UrlOf(shot.ImagePath), ["provider"] = provider.Name };
            };
        }, cancellationToken);
        return new StageOutcome(Result: $"{done} images", Metadata: new JsonObject { ["images"] = done, ["provider"] = provider.Name });
    }
}
