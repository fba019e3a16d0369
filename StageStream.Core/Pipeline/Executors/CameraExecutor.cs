using System.Text.Json.Nodes;
using StageStream.Core.Projects;
using StageStream.Core.Providers;

namespace StageStream.Core.Pipeline.Executors;

/// <summary>camera_movement: a move from the fixed set and a description, per shot.</summary>
public sealed class CameraExecutor(ProviderRegistry providers) : IStageExecutor
{
    public string Stage => StageNames.CameraMovement;

    public async Task<StageOutcome> ExecuteAsync(StageContext context, CancellationToken cancellationToken)
    {
        var provider = providers.For<ICameraProvider>(Stage);
        context.Record.Provider = provider.Name;
        var count = context.Project.Shots.Count;
        // One shot at a time: model calls of a text stage keep their order, like its tokens.
        var done = await ShotWork.RunAsync(context, "camera", shot => shot.CameraMove is null, async (shot, _) =>
        {
            var plan = await provider.PlanAsync(
                new CameraRequest(shot.Sequence, count, shot.Narration, shot.VisualPrompt, shot.ShotType, shot.DurationSeconds),
                cancellationToken);
            return () =>
            {
                shot.CameraMove = plan.Move;
                shot.CameraDescription = plan.Description;
                shot.CameraProvider = provider.Name;
                return new JsonObject { ["move"] = plan.Move.ToWire(), ["description"] = plan.Description, ["provider"] = provider.Name };
            };
        }, cancellationToken, parallel: false);
        return new StageOutcome(Result: $"{done} camera moves", Metadata: new JsonObject { ["camera_moves"] = done, ["provider"] = provider.Name });
    }
}
