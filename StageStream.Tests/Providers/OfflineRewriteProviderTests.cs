using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using StageStream.Core.Providers;

namespace StageStream.Tests.Providers;

public sealed class OfflineRewriteProviderTests
{
    private const string MessyEnglish =
        "  the old lighthouse stood on the cliff .it had stood there for a hundred years!!!   the old lighthouse stood on the cliff.\n\n" +
        "every night ,the keeper climbed the stairs，and lit the lamp 。ships passed safely  .  i watched them from the shore\n" +
        "one winter the lamp went dark... the keeper was ill.";

    private const string MessyChinese =
        "从前 ， 有一座灯塔,灯塔上住着一位老人.老人每天晚上都点亮灯塔!!\n" +
        "从前，有一座灯塔，灯塔上住着一位老人。 他 看着 船只 安全地驶过海湾\n\n" +
        "有一年冬天,灯塔突然熄灭了...老人病倒了。";

    private static async Task<(string Text, List<string> Tokens)> RewriteAsync(string input, string tokensPerSecond = "0")
    {
        using var services = OfflineServices.Create(new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = tokensPerSecond });
        var provider = services.Get<IRewriteProvider>();
        var tokens = new List<string>();
        await foreach (var token in provider.RewriteAsync(input, CancellationToken.None))
        {
            tokens.Add(token);
        }
        return (string.Concat(tokens), tokens);
    }

    [Fact]
    public async Task EnglishIsCleanedAndRestructuredNotEchoed()
    {
        var (text, _) = await RewriteAsync(MessyEnglish);

        Assert.NotEqual(MessyEnglish.Trim(), text.Trim());
        var lines = text.Split('\n');
        Assert.False(string.IsNullOrWhiteSpace(lines[0]), "a title line comes first");
        Assert.DoesNotMatch(@"[.!?]$", lines[0]);
        Assert.Equal("", lines[1]);
        Assert.Equal("The Keeper and the Lamp", lines[0]);

        var body = string.Join("\n", lines.Skip(2));
        Assert.DoesNotContain("  ", body);
        Assert.DoesNotMatch(@"\s[,.!?]", body);
        Assert.DoesNotMatch(@"[，。！？、]", body);
        Assert.DoesNotContain("!!", body);
        Assert.Single(Regex.Matches(body, "stood on the cliff"));
        Assert.Contains("The old lighthouse stood on the cliff. It had stood there for a hundred years!", body);
        Assert.Contains("Every night, the keeper climbed the stairs, and lit the lamp.", body);
        Assert.Contains("I watched them from the shore.", body);
        Assert.Contains("\n\n", body.Trim());
        // Every sentence starts with a capital (a trailing-off "..." does not end one).
        foreach (Match start in Regex.Matches(body, @"(?:^|(?<!\.)[.!?]\s+)([a-zA-Z])", RegexOptions.Multiline))
        {
            Assert.True(char.IsUpper(start.Groups[1].Value[0]), $"sentence starting at {start.Index} is not capitalised: {body}");
        }
    }

    [Fact]
    public async Task ChineseGetsFullWidthPunctuationAndNoDuplicates()
    {
        var (text, _) = await RewriteAsync(MessyChinese);

        Assert.NotEqual(MessyChinese.Trim(), text.Trim());
        var lines = text.Split('\n');
        Assert.StartsWith("《", lines[0]);
        Assert.Contains("灯塔", lines[0]);
        var body = string.Join("\n", lines.Skip(2));
        Assert.DoesNotMatch(@"[,.!?;:]", body);
        Assert.DoesNotMatch(@"\p{IsCJKUnifiedIdeographs} +\p{IsCJKUnifiedIdeographs}", body);
        Assert.DoesNotContain("！！", body);
        Assert.Contains("从前，有一座灯塔，灯塔上住着一位老人。", body);
        Assert.Single(Regex.Matches(body, "灯塔上住着一位老人"));
        Assert.Contains("他看着船只安全地驶过海湾。", body);
        Assert.Contains("灯塔突然熄灭了……", body);
        Assert.EndsWith("。", body.Trim());
    }

    [Fact]
    public async Task EnglishStreamsWordByWordAndChineseAFewCharactersAtATime()
    {
        var (english, englishTokens) = await RewriteAsync(MessyEnglish);
        Assert.All(englishTokens, t => Assert.Matches(@"^\S+\s*$", t));
        Assert.True(englishTokens.Count > 30);
        Assert.Equal(english, (await RewriteAsync(MessyEnglish)).Text);

        var (_, chineseTokens) = await RewriteAsync(MessyChinese);
        Assert.All(chineseTokens, t => Assert.InRange(t.Trim().Length, 1, 3));
        Assert.True(chineseTokens.Count > 20);
    }

    [Fact]
    public async Task TokensArriveAtTheConfiguredRate()
    {
        var stopwatch = Stopwatch.StartNew();
        var (_, tokens) = await RewriteAsync("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen.", "40");
        stopwatch.Stop();

        // The first token is immediate, each further one is due 1/40 s later.
        var expected = TimeSpan.FromSeconds((tokens.Count - 1) / 40.0);
        Assert.InRange(stopwatch.Elapsed, expected * 0.9, expected + TimeSpan.FromSeconds(3));

        stopwatch.Restart();
        await RewriteAsync(string.Join(" ", Enumerable.Repeat("A quick sentence about the sea.", 200)), "0");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"no delay at 0 tokens/s, took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task CancellationStopsTheStreamQuickly()
    {
        using var services = OfflineServices.Create(new Dictionary<string, string?> { ["Providers:Offline:TokensPerSecond"] = "2" });
        var provider = services.Get<IRewriteProvider>();
        var input = string.Join(" ", Enumerable.Range(1, 100).Select(i => $"Sentence number {i} is here."));
        using var cts = new CancellationTokenSource();
        var received = new StringBuilder();
        var count = 0;
        var stopwatch = new Stopwatch();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var token in provider.RewriteAsync(input, cts.Token))
            {
                received.Append(token);
                if (++count == 2)
                {
                    // The third token is due 0.5 s later; cancelling must not wait for it.
                    cts.Cancel();
                    stopwatch.Start();
                }
            }
        });
        stopwatch.Stop();
        Assert.Equal(2, count);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromMilliseconds(300), $"stopped after {stopwatch.Elapsed}");
    }
}
