using StageStream.Core.Projects;
using StageStream.Core.Providers;

namespace StageStream.Tests.Providers;

public sealed class OfflineCameraProviderTests
{
    private const string Story =
        "The old harbour town lay quiet under the clouds. Anna opened the shutters of her shop. " +
        "A stranger walked along the river with a heavy suitcase. He stopped at her door and knocked twice. " +
        "Her eyes filled with tears when she saw his face. The letter slipped from her fingers and fell to the floor. " +
        "Together they climbed the hill and looked up at the sky. The bells of the town began to ring.";

    private static async Task<List<(ShotDraft Shot, CameraPlan Plan)>> PlanStoryAsync(string story)
    {
        using var services = OfflineServices.Create();
        var shots = await services.Get<IStoryboardProvider>().PlanAsync(story, StoryboardTarget.None, _ => ValueTask.CompletedTask, CancellationToken.None);
        var camera = services.Get<ICameraProvider>();
        var plans = new List<(ShotDraft, CameraPlan)>();
        for (var i = 0; i < shots.Count; i++)
        {
            var s = shots[i];
            plans.Add((s, await camera.PlanAsync(new CameraRequest(i + 1, shots.Count, s.Narration, s.VisualPrompt, s.ShotType, s.DurationSeconds),
                CancellationToken.None)));
        }
        return plans;
    }

    [Fact]
    public async Task MovesAreValidVariedAndDeterministic()
    {
        var plans = await PlanStoryAsync(Story);

        Assert.Equal(8, plans.Count);
        Assert.All(plans, p =>
        {
            Assert.True(Enum.IsDefined(p.Plan.Move));
            Assert.True(p.Plan.Description.Length > 20, p.Plan.Description);
        });
        Assert.Contains(plans[0].Plan.Move, new[] { CameraMove.PullOut, CameraMove.PanLeft, CameraMove.PanRight });
        Assert.True(plans.Select(p => p.Plan.Move).Distinct().Count() >= 4, string.Join(", ", plans.Select(p => p.Plan.Move)));
        Assert.Equal(CameraMove.PanRight, plans[2].Plan.Move); // walked along the river
        Assert.Equal(CameraMove.PushIn, plans[4].Plan.Move);   // eyes, tears
        Assert.Equal(CameraMove.TiltDown, plans[5].Plan.Move); // fell to the floor
        Assert.Equal(CameraMove.TiltUp, plans[6].Plan.Move);   // looked up at the sky

        var again = await PlanStoryAsync(Story);
        Assert.Equal(plans.Select(p => p.Plan), again.Select(p => p.Plan));
    }

    [Theory]
    [InlineData(3, "天空中飞过一群白色的鸟。", "medium", CameraMove.TiltUp)]
    [InlineData(3, "她低头看着地上的落叶。", "medium", CameraMove.TiltDown)]
    [InlineData(4, "他静静地坐在窗前。", "close-up", CameraMove.PushIn)]
    [InlineData(2, "火车穿过黑夜向北方驶去。", "wide", CameraMove.PanRight)]
    [InlineData(5, "They drove back home along the coast road.", "wide", CameraMove.PanLeft)]
    [InlineData(1, "A small village sleeps between the hills.", "wide", CameraMove.PullOut)]
    [InlineData(6, "The end of the day came quietly.", "medium", CameraMove.PullOut)]
    public async Task ContentAndPositionChooseTheMove(int sequence, string narration, string shotType, CameraMove expected)
    {
        using var services = OfflineServices.Create();
        var plan = await services.Get<ICameraProvider>().PlanAsync(
            new CameraRequest(sequence, 6, narration, $"Cinematic still, {shotType} shot: {narration}", shotType, 4), CancellationToken.None);

        Assert.Equal(expected, plan.Move);
        Assert.Contains("4 s", plan.Description);
    }
}
