using StageStream.Core.Providers;
using StageStream.Tests.Providers;

namespace StageStream.Tests.Film;

public sealed class StoryboardTargetTests
{
    private const string Story =
        "The keeper climbed the tower at dusk. A storm came in from the sea. The waves broke over the rocks. " +
        "A small boat fought the wind. He lit the lamp and watched all night. At dawn the boat was home.";

    private static async Task<IReadOnlyList<ShotDraft>> PlanAsync(string text, StoryboardTarget target)
    {
        using var services = OfflineServices.Create();
        return await services.Get<IStoryboardProvider>().PlanAsync(text, target, _ => ValueTask.CompletedTask, CancellationToken.None);
    }

    private static string Words(IEnumerable<ShotDraft> shots) => string.Concat(shots.SelectMany(s => s.Narration.Where(char.IsLetter)));

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(9)]
    public async Task AShotCountIsMetByMergingOrSplittingAndNoWordIsLost(int shots)
    {
        var free = await PlanAsync(Story, StoryboardTarget.None);

        var planned = await PlanAsync(Story, new StoryboardTarget(null, shots));

        Assert.Equal(6, free.Count);
        Assert.Equal(shots, planned.Count);
        Assert.Equal(Words(free), Words(planned));
    }

    [Fact]
    public async Task ChineseSentencesSplitToo()
    {
        var planned = await PlanAsync("灯塔守夜人提着油灯，一级一级地爬上塔顶。", new StoryboardTarget(null, 3));

        Assert.Equal(3, planned.Count);
        Assert.Equal("灯塔守夜人提着油灯，一级一级地爬上塔顶。", string.Concat(planned.Select(s => s.Narration)));
    }

    [Fact]
    public async Task ALengthBecomesAShotCountAndPlannedDurationsAddUpToIt()
    {
        var planned = await PlanAsync(Story, new StoryboardTarget(18, null));

        Assert.Equal(4, planned.Count);
        Assert.InRange(planned.Sum(s => s.DurationSeconds), 16, 20);
    }
}
