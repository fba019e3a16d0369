using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using StageStream.Core.Projects;
using StageStream.Web.Components.Pages.Projects;

namespace StageStream.Tests.Components;

public sealed class NewProjectDialogTests : ComponentTest
{
    private async Task<(IRenderedComponent<MudDialogProvider> Provider, IDialogReference Dialog)> OpenAsync()
    {
        var provider = Render<MudDialogProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        IDialogReference? dialog = null;
        await provider.InvokeAsync(async () => dialog = await dialogs.ShowAsync<NewProjectDialog>("New project"));
        provider.WaitForElement("[data-testid=create-project]");
        return (provider, dialog!);
    }

    private async Task<IReadOnlyList<Project>> ProjectsAsync() =>
        (await this.WithScopeAsync(sp => sp.GetRequiredService<ProjectLibrary>().SearchAsync(null, null, 1, ProjectLibrary.MaxPageSize, null, CancellationToken.None))).Items;

    [Fact]
    public async Task RefusesEmptyNameAndTextWithMessages()
    {
        var (provider, dialog) = await OpenAsync();

        await provider.Find("[data-testid=create-project]").ClickAsync(new());

        provider.WaitForAssertion(() =>
        {
            Assert.Contains("Give the project a name.", provider.Markup);
            Assert.Contains("Paste the story to turn into a film.", provider.Markup);
        });
        Assert.Empty(await ProjectsAsync());
        Assert.False(dialog.Result.IsCompleted);
    }

    [Fact]
    public async Task RefusesWhitespaceOnlyText()
    {
        var (provider, dialog) = await OpenAsync();

        await provider.Find("input[data-testid=project-name]").InputAsync(new() { Value = "Lighthouse" });
        await provider.Find("textarea[data-testid=project-text]").InputAsync(new() { Value = "   \n  " });
        await provider.Find("[data-testid=create-project]").ClickAsync(new());

        provider.WaitForAssertion(() => Assert.Contains("Paste the story to turn into a film.", provider.Markup));
        Assert.DoesNotContain("Give the project a name.", provider.Markup);
        Assert.Empty(await ProjectsAsync());
        Assert.False(dialog.Result.IsCompleted);
    }

    [Fact]
    public async Task CreatesTheProjectAndReturnsItsId()
    {
        var (provider, dialog) = await OpenAsync();

        await provider.Find("input[data-testid=project-name]").InputAsync(new() { Value = "  Lighthouse  " });
        await provider.Find("textarea[data-testid=project-text]").InputAsync(new() { Value = "A keeper lights the lamp." });
        await provider.Find("[data-testid=create-project]").ClickAsync(new());

        var result = await dialog.Result.WaitAsync(TimeSpan.FromSeconds(10));
        var project = Assert.Single(await ProjectsAsync());
        Assert.False(result!.Canceled);
        Assert.Equal(project.Id, result.Data);
        Assert.Equal("Lighthouse", project.Name);
        Assert.Equal("A keeper lights the lamp.", project.OriginalText);
    }

    [Fact]
    public async Task CreatesTheProjectWithItsFilmSettings()
    {
        var (provider, dialog) = await OpenAsync();

        Assert.Contains("16:9 landscape", provider.Markup);
        await provider.Find("input[data-testid=project-name]").InputAsync(new() { Value = "Lighthouse" });
        await provider.Find("textarea[data-testid=project-text]").InputAsync(new() { Value = "A keeper lights the lamp." });
        await provider.Find("input[data-testid=project-voice]").ChangeAsync(new() { Value = "en-gb" });
        var burn = provider.Find("[data-testid=project-burn]");
        await (burn.TagName == "INPUT" ? burn : burn.QuerySelector("input")!).ChangeAsync(new() { Value = true });
        await provider.Find("[data-testid=create-project]").ClickAsync(new());

        await dialog.Result.WaitAsync(TimeSpan.FromSeconds(10));
        var project = Assert.Single(await ProjectsAsync());
        Assert.Equal((AspectRatios.Landscape, "en-gb", true, (int?)null), (project.AspectRatio, project.Voice, project.BurnSubtitles, project.TargetShots));
    }
}
