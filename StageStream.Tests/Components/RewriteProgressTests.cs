using Bunit;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Projects;
using StageStream.Web.Components.Shared;
using static StageStream.Web.Components.Shared.RewriteProgress;

namespace StageStream.Tests.Components;

public sealed class RewriteProgressTests : ComponentTest
{
    private const string ProjectId = "p-rewrite";

    public RewriteProgressTests() : base(GatedSubscriptions.Register)
    {
    }

    private GatedSubscriptions Gate => Services.GetRequiredService<GatedSubscriptions>();

    private RunEvents Run() => new(this.Publisher(), ProjectId, StageNames.Rewrite);

    private IRenderedComponent<RewriteProgress> RenderOpen()
    {
        Gate.Open();
        var cut = Render<RewriteProgress>(p => p.Add(c => c.ProjectId, ProjectId));
        cut.WaitForAssertion(() => Assert.Equal(RewriteState.Processing, cut.Instance.State));
        return cut;
    }

    [Fact]
    public void ShowsConnectingUntilTheSubscriptionIsOpen()
    {
        var cut = Render<RewriteProgress>(p => p.Add(c => c.ProjectId, ProjectId));

        Assert.Equal(RewriteState.Connecting, cut.Instance.State);
        Assert.Equal("Connecting…", cut.Find("[data-testid=rewrite-status]").TextContent.Trim());
        Assert.Contains("mud-alert-text-info", cut.Find("[data-testid=rewrite-status]").ClassName);

        Gate.Open();
        cut.WaitForAssertion(() => Assert.Equal("Generating…", cut.Find("[data-testid=rewrite-status]").TextContent.Trim()));
        Assert.Contains("mud-alert-text-warning", cut.Find("[data-testid=rewrite-status]").ClassName);
    }

    [Fact]
    public async Task StreamsTheTextTokenByTokenWithProgress()
    {
        var cut = RenderOpen();
        var run = Run();
        await run.StageUpdateAsync("queued");
        await run.StageUpdateAsync("processing");
        await run.TokenAsync("Once ");
        await run.TokenAsync("upon ");

        cut.WaitForAssertion(() => Assert.Equal("Once upon", cut.Find("[data-testid=rewrite-live-text]").TextContent.Trim()));
        await run.ProgressAsync(40);
        await run.TokenAsync("a time");
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Once upon a time", cut.Find("[data-testid=rewrite-live-text]").TextContent);
            Assert.Equal(40, cut.Instance.Progress);
            Assert.Equal("40", cut.Find("[data-testid=rewrite-progress-bar]").GetAttribute("aria-valuenow"));
        });
        Assert.Equal(RewriteState.Processing, cut.Instance.State);
    }

    [Fact]
    public async Task DoneShowsTheFinalTextAndHidesTheProgressBar()
    {
        var cut = RenderOpen();
        var run = Run();
        await run.TokenAsync("Once upon");
        await run.DoneAsync("Once upon a time, the end.");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(RewriteState.Done, cut.Instance.State);
            Assert.Equal("Once upon a time, the end.", cut.Find("[data-testid=rewrite-live-text]").TextContent);
            Assert.Equal("Done!", cut.Find("[data-testid=rewrite-status]").TextContent.Trim());
            Assert.Empty(cut.FindAll("[data-testid=rewrite-progress-bar]"));
        });
    }

    [Fact]
    public async Task ErrorShowsTheServersMessage()
    {
        var cut = RenderOpen();
        var run = Run();
        await run.TokenAsync("Once");
        await run.ErrorAsync("The model is overloaded");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(RewriteState.Error, cut.Instance.State);
            Assert.Equal("Error: The model is overloaded", cut.Find("[data-testid=rewrite-status]").TextContent.Trim());
            Assert.Contains("mud-alert-text-error", cut.Find("[data-testid=rewrite-status]").ClassName);
        });
    }

    [Fact]
    public async Task ReplaysARunThatStartedBeforeThePageOpened()
    {
        var run = Run();
        await run.StageUpdateAsync("processing");
        await run.TokenAsync("Already ");
        await run.TokenAsync("written");

        var cut = RenderOpen();

        cut.WaitForAssertion(() => Assert.Equal("Already written", cut.Find("[data-testid=rewrite-live-text]").TextContent));
    }

    [Fact]
    public async Task ATokenFloodKeepsEveryCharacterWithFarFewerRenders()
    {
        var cut = RenderOpen();
        var run = Run();
        var expected = new System.Text.StringBuilder();
        for (var i = 0; i < 1500; i++)
        {
            var token = $"w{i} ";
            expected.Append(token);
            await run.TokenAsync(token);
        }

        cut.WaitForAssertion(() => Assert.Equal(expected.ToString(), cut.Find("[data-testid=rewrite-live-text]").TextContent), TimeSpan.FromSeconds(20));
        Assert.True(cut.RenderCount < 500, $"{cut.RenderCount} renders for 1500 tokens: the throttle did not hold.");
    }
}
