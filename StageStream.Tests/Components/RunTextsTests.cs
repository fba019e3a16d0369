using StageStream.Core.Events;
using StageStream.Web.Components.Shared;

namespace StageStream.Tests.Components;

public sealed class RunTextsTests
{
    private static StageEvent Token(string runId, string content, string? fullText = null) =>
        new() { Type = EventTypes.Token, ProjectId = "p", Stage = "rewrite", RunId = runId, Content = content, FullText = fullText };

    [Fact]
    public void ANewRunIdStartsTheTextAfreshWhetherTokensCarryFullTextOrNot()
    {
        var texts = new RunTexts();
        texts.Track(Token("r1", "The old ", fullText: "The old "));
        texts.Track(Token("r1", "keeper"));
        Assert.Equal("The old keeper", texts.Of("rewrite"));

        // The run was interrupted; its restart has a new run id and starts from nothing.
        texts.Track(Token("r2", "Once"));
        texts.Track(Token("r2", " upon"));
        Assert.Equal("Once upon", texts.Of("rewrite"));

        texts.Track(Token("r3", "x", fullText: "x"));
        Assert.Equal("x", texts.Of("rewrite"));
        Assert.Equal("", texts.Of("storyboard"));
    }
}
