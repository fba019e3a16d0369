using StageStream.Core.Narration;

namespace StageStream.Tests.Film;

public sealed class SubtitlesTests
{
    private const string Chinese = "海边的小镇上住着一位老人，他守着那座白色的灯塔已经四十年了。每天黄昏，他都会提着油灯，一级一级地爬上塔顶。";
    private const string English = "Every evening at dusk the old keeper climbed the narrow stairs of the white lighthouse with his lamp in his hand.";

    [Theory]
    [InlineData(1280, 720)]
    [InlineData(720, 1280)]
    [InlineData(720, 720)]
    public void ChineseLinesFitTheWidthAndKeepEveryCharacter(int width, int height)
    {
        var capacity = Subtitles.LineCapacity(width, height);

        var lines = Subtitles.BreakLines(Chinese, capacity);

        Assert.True(lines.Count > 1);
        Assert.All(lines, line => Assert.True(Subtitles.Ems(line) <= capacity + 1, $"'{line}' is wider than {capacity:0.#} em"));
        Assert.All(lines.Skip(1), line => Assert.DoesNotContain(line[0], "，。！？、"));
        Assert.Equal(Chinese, string.Concat(lines));
    }

    [Fact]
    public void PortraitFilmsGetShorterLinesThanLandscapeOnes()
    {
        var landscape = Subtitles.BreakLines(Chinese, Subtitles.LineCapacity(1280, 720));
        var portrait = Subtitles.BreakLines(Chinese, Subtitles.LineCapacity(720, 1280));

        Assert.True(portrait.Count > landscape.Count, $"{portrait.Count} portrait lines, {landscape.Count} landscape");
    }

    [Fact]
    public void EnglishBreaksBetweenWordsAtReadableLengths()
    {
        var lines = Subtitles.BreakLines(English, Subtitles.LineCapacity(1280, 720));

        Assert.All(lines, line => Assert.InRange(line.Length, 1, 42));
        Assert.Equal(English, string.Join(" ", lines));
    }

    [Fact]
    public void CuesShareTheSpeechByLengthAndAreWrittenAsSrtAndVtt()
    {
        var cues = Subtitles.Build([new SpokenShot(Chinese, 0.2, 8), new SpokenShot("短句。", 9, 1)], 720, 1280);

        Assert.True(cues.Count >= 3);
        Assert.Equal(0.2, cues[0].Start);
        Assert.All(cues, cue => Assert.InRange(cue.Lines.Count, 1, 2));
        var first = cues.Where(c => c.End <= 8.2 + 1e-9).ToList();
        Assert.Equal(8.2, first[^1].End, 3);
        Assert.All(first.Zip(first.Skip(1)), pair => Assert.Equal(pair.First.End, pair.Second.Start, 3));
        Assert.Equal((9.0, 10.0), (cues[^1].Start, cues[^1].End));

        var srt = Subtitles.ToSrt(cues);
        var vtt = Subtitles.ToVtt(cues);
        Assert.StartsWith("1\n00:00:00,200 --> ", srt);
        Assert.StartsWith("WEBVTT\n\n1\n00:00:00.200 --> ", vtt);
        Assert.Contains("00:00:09,000 --> 00:00:10,000\n短句。\n", srt);
    }
}
