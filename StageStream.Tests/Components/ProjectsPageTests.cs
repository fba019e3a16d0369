using Bunit;
using StageStream.Web.Components.Pages.Projects;

namespace StageStream.Tests.Components;

public sealed class ProjectsPageTests : ComponentTest
{
    [Fact]
    public void SaysSoWhenThereAreNoProjects()
    {
        var cut = Render<ProjectsPage>();

        cut.WaitForAssertion(() => Assert.Contains("No projects yet.", cut.Markup));
    }

    [Fact]
    public async Task ListsProjectsNewestFirstWithStatusAndLinks()
    {
        var older = await CreateProjectAsync("Older");
        await Task.Delay(20);
        var newer = await CreateProjectAsync("Newer");

        var cut = Render<ProjectsPage>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=projects-table] tbody tr").Count));
        var links = cut.FindAll("[data-testid=projects-table] tbody a");
        Assert.Equal(["Newer", "Older"], links.Select(a => a.TextContent));
        Assert.Equal([$"/projects/{newer.Id}", $"/projects/{older.Id}"], links.Select(a => a.GetAttribute("href")));
        Assert.All(cut.FindAll("[data-status]"), chip => Assert.Equal("draft", chip.GetAttribute("data-status")));
        Assert.Contains("Draft", cut.Markup);
        Assert.Contains(" UTC", cut.Markup);
    }
}
