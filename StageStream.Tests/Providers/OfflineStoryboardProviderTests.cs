using System.Text;
using System.Text.Json;
using StageStream.Core.Providers;

namespace StageStream.Tests.Providers;

public sealed class OfflineStoryboardProviderTests
{
    private static async Task<(IReadOnlyList<ShotDraft> Shots, string Streamed)> PlanAsync(string text)
    {
        using var services = OfflineServices.Create();
        var streamed = new StringBuilder();
        var shots = await services.Get<IStoryboardProvider>().PlanAsync(text, StoryboardTarget.None, token =>
        {
            streamed.Append(token);
            return ValueTask.CompletedTask;
        }, CancellationToken.None);
        return (shots, streamed.ToString());
    }

    [Fact]
    public async Task EnglishSplitsBySentenceRespectingAbbreviationsDecimalsAndQuotes()
    {
        const string text =
            "The Keeper\n\n" +
            "Mr. Smith lived in the old lighthouse for 3.5 years. Every night he climbed the stairs to light the lamp! " +
            "\"Who is out there?\" he shouted into the storm. Nobody answered; only the waves replied.";

        var (shots, _) = await PlanAsync(text);

        Assert.Equal(
        [
            "Mr. Smith lived in the old lighthouse for 3.5 years.",
            "Every night he climbed the stairs to light the lamp!",
            "\"Who is out there?\" he shouted into the storm.",
            "Nobody answered; only the waves replied.",
        ], shots.Select(s => s.Narration));
        Assert.Equal("wide", shots[0].ShotType);
    }

    [Fact]
    public async Task ChineseSplitsOnChinesePunctuationAndMergesFragments()
    {
        const string text =
            "《灯塔》\n\n" +
            "从前，海边有一座古老的灯塔。每天晚上，老人都会爬上塔顶点亮灯火！“今晚会有船来吗？”他问自己。\n" +
            "风越来越大，海浪不停地拍打着礁石；远处的海面上出现了一点微弱的光。";

        var (shots, _) = await PlanAsync(text);

        Assert.Equal(
        [
            "从前，海边有一座古老的灯塔。",
            "每天晚上，老人都会爬上塔顶点亮灯火！",
            "“今晚会有船来吗？”他问自己。",
            "风越来越大，海浪不停地拍打着礁石；",
            "远处的海面上出现了一点微弱的光。",
        ], shots.Select(s => s.Narration));
    }

    [Fact]
    public async Task LongSentencesAreSplitAndEveryShotIsTimedFromItsNarration()
    {
        var english = "Far away across the grey and restless water, Mara saw a small island with a tall stone tower rising into the low clouds, " +
                      "and on its very top a single light was blinking slowly in the dark, as if someone up there had been waiting for her all along.";
        var chinese = "远处灰色而不安的海面上，玛拉看见一座小岛，岛上有一座高高的石塔直插低垂的云层，塔顶上有一盏孤灯在黑暗中缓缓闪烁，" +
                      "仿佛有人一直在那里等着她回来，等了很多很多年。";

        foreach (var text in new[] { english, chinese })
        {
            var (shots, _) = await PlanAsync(text);
            Assert.True(shots.Count >= 3, $"a {text.Length}-character sentence becomes several shots, got {shots.Count}");
            Assert.Equal(Normalize(text), Normalize(string.Concat(shots.Select(s => s.Narration))));
            Assert.All(shots, shot =>
            {
                Assert.InRange(shot.DurationSeconds, 2, 8);
                Assert.Equal(0, shot.DurationSeconds * 2 % 1);
            });
        }

        // Longer narration, longer shot.
        var (timed, _) = await PlanAsync("He nodded once. Then he walked slowly down the long wet road towards the harbour lights.");
        Assert.True(timed[1].DurationSeconds > timed[0].DurationSeconds);
        Assert.Equal(2, timed[0].DurationSeconds);

        static string Normalize(string s) => new(s.Where(c => !char.IsWhiteSpace(c)).ToArray());
    }

    [Fact]
    public async Task ShotsCarryAPromptAndTheirJsonIsStreamed()
    {
        var (shots, streamed) = await PlanAsync("The sun rose over the sleeping village. A girl opened her eyes and smiled. She ran down to the sea.");

        Assert.Equal(3, shots.Count);
        Assert.All(shots, s =>
        {
            Assert.StartsWith("Cinematic still, " + s.ShotType + " shot: ", s.VisualPrompt);
            Assert.Contains(s.Narration, s.VisualPrompt);
        });
        Assert.Equal("wide", shots[0].ShotType);
        Assert.Equal("close-up", shots[1].ShotType);
        Assert.Contains("golden morning light", shots[0].VisualPrompt);

        using var json = JsonDocument.Parse(streamed);
        var streamedShots = json.RootElement.GetProperty("shots").EnumerateArray().ToList();
        Assert.Equal(shots.Select(s => s.Narration), streamedShots.Select(s => s.GetProperty("narration").GetString()));
        Assert.Equal(shots.Select(s => s.DurationSeconds), streamedShots.Select(s => s.GetProperty("duration").GetDouble()));
    }
}
