using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using StageStream.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StageStream.Tests.Browser;

/// <summary>
/// The real app on a real port, driven through headless Chromium: what a person does, and what they
/// see, with a screenshot of each page.
/// </summary>
public sealed class UiBrowserTests(UiBrowser browser, ITestOutputHelper output) : IClassFixture<UiBrowser>
{
    private const string Story =
        "The old lighthouse keeper climbed the stairs at dusk. The storm was coming fast!\n" +
        "He lit the great lamp and watched the sea. A small boat fought the waves. " +
        "At dawn the boat was safe in the harbour, and the keeper finally slept.";

    /// <summary>Tokens slow enough to be seen arriving; small frames so the video stage is quick.</summary>
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Providers:Offline:TokensPerSecond"] = "20",
        ["Pipeline:Width"] = "320",
        ["Pipeline:Height"] = "180",
    };

    private static readonly TimeSpan PipelineTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task CreateAProjectInTheUiRunItAndWatchTheTextImagesAndFilmAppear()
    {
        await using var app = await TestApp.StartAsync(Settings);
        var errors = new List<string>();
        var page = await browser.NewPageAsync(app.BaseAddress, errors);

        await UiBrowser.GotoInteractiveAsync(page, "/");
        await Screenshot(page, "01-projects-empty");
        await page.ClickAsync("[data-testid=new-project]");
        await page.ClickAsync("[data-testid=create-project]");
        await page.GetByText("Give the project a name.").WaitForAsync();
        await page.GetByText("Paste the story to turn into a film.").WaitForAsync();
        await page.FillAsync("input[data-testid=project-name]", "Lighthouse");
        await page.FillAsync("textarea[data-testid=project-text]", Story);
        // The typed values have reached the server once their validation messages are gone.
        await page.GetByText("Give the project a name.").WaitForAsync(new() { State = WaitForSelectorState.Hidden });
        await page.GetByText("Paste the story to turn into a film.").WaitForAsync(new() { State = WaitForSelectorState.Hidden });
        await Screenshot(page, "02-new-project-dialog");
        await page.ClickAsync("[data-testid=create-project]");
        // Blazor navigates within the page (no load event): wait for the project page itself.
        await page.Locator("[data-testid=run-all]").WaitForAsync();
        Assert.Matches("/projects/[0-9a-f]+$", page.Url);
        var projectId = page.Url.TrimEnd('/').Split('/')[^1];
        await WaitForTextAsync(page, "[data-testid=live-status]", "Live");
        Assert.Equal("Lighthouse", await page.TextContentAsync("[data-testid=project-name]"));
        await Screenshot(page, "03-project-before-run");

        // The rewrite view is open before the run starts, as a person watching would have it.
        var rewrite = await page.Context.NewPageAsync();
        await UiBrowser.GotoInteractiveAsync(rewrite, $"/projects/{projectId}/rewrite");
        await WaitForTextAsync(rewrite, "[data-testid=rewrite-status]", "Generating…");

        await page.ClickAsync("[data-testid=run-all]");

        // Text arrives while the stage still runs: the view is not waiting for the whole result.
        // The text is taken in the same look as the state, so a slow test cannot read it only after the stage is done.
        var seen = await rewrite.WaitForFunctionAsync("""
            () => {
                const text = document.querySelector('[data-testid=rewrite-live-text]')?.textContent ?? '';
                const processing = document.querySelector('[data-testid=rewrite-progress]')?.dataset.state === 'Processing';
                return processing && text.trim().length > 0 ? text : false;
            }
            """);
        var partial = await seen.JsonValueAsync<string>();
        await Screenshot(rewrite, "04-rewrite-streaming");
        await rewrite.WaitForFunctionAsync("() => document.querySelector('[data-testid=rewrite-progress]')?.dataset.state === 'Done'");
        var full = await rewrite.TextContentAsync("[data-testid=rewrite-live-text]") ?? "";
        output.WriteLine($"Partial text ({partial.Length} chars) before done; final text {full.Length} chars.");
        Assert.True(partial.Length < full.Length, "The text was complete before the stage was done: nothing streamed.");
        Assert.StartsWith(partial, full);
        Assert.Equal("Done!", (await rewrite.TextContentAsync("[data-testid=rewrite-status]"))?.Trim());
        await Screenshot(rewrite, "05-rewrite-done");

        // The pipeline page follows every stage to the film.
        await page.Locator("[data-testid=pipeline-message]", new() { HasText = "The pipeline is done" })
            .WaitForAsync(new() { Timeout = (float)PipelineTimeout.TotalMilliseconds });
        foreach (var stage in new[] { "rewrite", "storyboard", "image_generation", "camera_movement", "video_generation" })
        {
            Assert.Equal("completed", await page.GetAttributeAsync($"[data-testid=stage-{stage}]", "data-status"));
        }
        Assert.StartsWith(partial, (await page.TextContentAsync("[data-testid=rewrite-text]"))!);
        // After the run the page keeps following the project, for the next run.
        await WaitForTextAsync(page, "[data-testid=live-status]", "Live");
        await Screenshot(page, "06-project-done-text");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Storyboard" }).ClickAsync();
        await page.Locator("[data-testid=storyboard]").WaitForAsync();
        Assert.True(await page.Locator("textarea[data-testid=shot-narration]").CountAsync() > 0);
        await Screenshot(page, "07-project-storyboard");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Images" }).ClickAsync();
        var images = page.Locator("img[data-testid=shot-image]");
        await images.First.WaitForAsync();
        // Every frame really loaded from /media, not just an <img> pointing somewhere.
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('img[data-testid=shot-image]')].every(i => i.complete && i.naturalWidth > 0)");
        Assert.True(await images.CountAsync() > 0);
        Assert.True(await page.Locator("[data-testid=camera-move]").CountAsync() > 0);
        await Screenshot(page, "08-project-images");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Video" }).ClickAsync();
        var film = page.Locator("video[data-testid=final-video]");
        await film.WaitForAsync();
        // The browser reads the film itself: it has a duration, so it is a playable video.
        await page.WaitForFunctionAsync("() => document.querySelector('video[data-testid=final-video]').duration > 0");
        var src = await film.GetAttributeAsync("src");
        Assert.StartsWith($"/media/{projectId}/", src);
        using (var response = await app.Client.GetAsync(src))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("video/mp4", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.True(await page.Locator("video[data-testid=shot-clip]").CountAsync() > 0);
        await Screenshot(page, "09-project-video");

        // Phone width: the same page, one column.
        var phone = await browser.NewPageAsync(app.BaseAddress, errors, width: 390, height: 844);
        await UiBrowser.GotoInteractiveAsync(phone, $"/projects/{projectId}");
        await WaitForTextAsync(phone, "[data-testid=project-name]", "Lighthouse");
        Assert.False(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1"),
            "The project page scrolls sideways at phone width.");
        await Screenshot(phone, "10-project-phone");
        await UiBrowser.GotoInteractiveAsync(phone, "/");
        await Screenshot(phone, "11-projects-phone");

        Assert.Empty(errors);
    }

    [Fact]
    public async Task SseDemoConnectedToAllStagesListsConnectedThroughPipelineDone()
    {
        await using var app = await TestApp.StartAsync(Settings);
        var created = await app.Client.PostAsync("/api/v1/projects",
            JsonContent("""{"name":"Demo","original_text":"A fox ran home. The moon rose over the hill."}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var projectId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var errors = new List<string>();
        var page = await browser.NewPageAsync(app.BaseAddress, errors);

        await UiBrowser.GotoInteractiveAsync(page, "/sse-demo");
        // The picker lists existing projects and fills in the id.
        await page.Locator(".mud-select", new() { HasText = "Pick a project" }).Last.ClickAsync();
        await page.GetByText($"Demo ({projectId})").ClickAsync();
        await Assertions.Expect(page.Locator("input[data-testid=sse-project-id]")).ToHaveValueAsync(projectId);
        await page.ClickAsync("[data-testid=sse-connect]");
        await WaitForTextAsync(page, "[data-testid=sse-status]", "Connected");
        await page.Locator("[data-testid=count-connected]").WaitForAsync();

        var run = await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);

        await page.Locator("[data-testid=count-pipeline_done]").WaitForAsync(new() { Timeout = (float)PipelineTimeout.TotalMilliseconds });
        await WaitForTextAsync(page, "[data-testid=sse-status]", "Disconnected");
        var counts = await page.Locator("[data-testid^=count-]").AllTextContentsAsync();
        output.WriteLine(string.Join(", ", counts));
        Assert.Contains("connected: 1", counts.Select(c => c.Trim()));
        Assert.Contains("pipeline_done: 1", counts.Select(c => c.Trim()));
        Assert.Contains("stream_end: 1", counts.Select(c => c.Trim()));
        Assert.Contains(counts, c => c.StartsWith("token:", StringComparison.Ordinal));
        Assert.Contains(counts, c => c.StartsWith("done:", StringComparison.Ordinal));
        Assert.Empty(await page.Locator("[data-testid=sse-error]").AllAsync());

        await Screenshot(page, "12-sse-demo");

        // The table is in arrival order: connected first, then increasing ids.
        await page.Locator(".mud-table-pagination-select").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "500" }).ClickAsync();
        var types = await page.Locator("[data-testid=sse-type]").AllTextContentsAsync();
        Assert.Equal("connected", types[0].Trim());
        var rows = await page.Locator("[data-testid=sse-messages] tbody tr").AllAsync();
        var ids = new List<long>();
        foreach (var row in rows.Skip(1))
        {
            var cells = await row.Locator("td").AllTextContentsAsync();
            if (long.TryParse(cells[1].Trim(), out var id))
            {
                ids.Add(id);
            }
        }
        Assert.True(ids.Count > 10);
        Assert.Equal(ids.Order(), ids);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task AChineseBrowserGetsChinesePagesAndTheSwitchChangesTheLanguage()
    {
        await using var app = await TestApp.StartAsync(Settings);
        var errors = new List<string>();
        var page = await browser.NewPageAsync(app.BaseAddress, errors, locale: "zh-CN");

        await UiBrowser.GotoInteractiveAsync(page, "/");
        await WaitForTextAsync(page, "[data-testid=new-project]", "新建项目");
        Assert.Equal("zh-CN", await page.GetAttributeAsync("html", "lang"));
        await page.ClickAsync("[data-testid=new-project]");
        await page.ClickAsync("[data-testid=create-project]");
        await page.GetByText("请填写项目名称。").WaitForAsync();
        await Screenshot(page, "13-projects-zh");
        await page.Keyboard.PressAsync("Escape");

        var created = await app.Client.PostAsync("/api/v1/projects", JsonContent("""{"name":"灯塔","original_text":"老守塔人在黄昏时爬上楼梯。暴风雨来了。"}"""));
        var projectId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await UiBrowser.GotoInteractiveAsync(page, $"/projects/{projectId}");
        await WaitForTextAsync(page, "[data-testid=run-all]", "全部运行");
        await WaitForTextAsync(page, "[data-testid=live-status]", "实时");
        Assert.Contains("文案改写", await page.TextContentAsync("[data-testid=stage-rewrite]"));
        await Screenshot(page, "14-project-zh");
        await UiBrowser.GotoInteractiveAsync(page, "/");

        await page.Locator(".lang-switch").GetByText("EN", new() { Exact = true }).ClickAsync();
        await WaitForTextAsync(page, "[data-testid=new-project]", "New project");
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));

        // The choice is kept (cookie) over the browser's language.
        await UiBrowser.GotoInteractiveAsync(page, "/sse-demo");
        await WaitForTextAsync(page, "[data-testid=sse-connect]", "Connect");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task SseDemoReconnectsAfterTheServerCutsItOffAndNoTextIsMissing()
    {
        // A one-event buffer and tokens without delay: the server cuts the browser's stream off as it falls
        // behind, and the JavaScript client must resume from its last id, again and again.
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>(Settings)
        {
            ["Providers:Offline:TokensPerSecond"] = "0",
            ["Events:SubscriberBufferSize"] = "1",
        });
        var created = await app.Client.PostAsync("/api/v1/projects", JsonContent(JsonSerializer.Serialize(new { name = "Cut", original_text = Story + "\n" + Story })));
        var projectId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var errors = new List<string>();
        var page = await browser.NewPageAsync(app.BaseAddress, errors);

        await UiBrowser.GotoInteractiveAsync(page, $"/sse-demo?project={projectId}&stage=rewrite");
        await page.ClickAsync("[data-testid=sse-connect]");
        await WaitForTextAsync(page, "[data-testid=sse-status]", "Connected");
        var run = await app.Client.PostAsync($"/api/v1/projects/{projectId}/stages/rewrite/run", null);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);

        await page.Locator("[data-testid=count-stream_end]").WaitForAsync(new() { Timeout = 60_000 });
        var project = JsonDocument.Parse(await app.Client.GetStringAsync($"/api/v1/projects/{projectId}")).RootElement;
        var reconnects = int.Parse((await page.GetAttributeAsync("[data-testid=sse-reconnects]", "data-count"))!);
        output.WriteLine($"{reconnects} reconnects; {(await page.Locator("[data-testid^=count-]").AllTextContentsAsync()).Aggregate((a, b) => a + ", " + b)}");
        Assert.True(reconnects >= 1);
        Assert.Equal("true", await page.GetAttributeAsync("[data-testid=sse-token-check]", "data-consistent"));
        await page.Locator(".mud-expand-panel-header").ClickAsync();
        var text = await page.Locator("[data-testid=sse-token-text]").TextContentAsync();
        Assert.Equal(project.GetProperty("rewritten_text").GetString(), text?.Trim());
        await Screenshot(page, "15-sse-demo-reconnected", fullPage: false);
        // A dropped stream may log a network error in the console; nothing else may.
        Assert.DoesNotContain(errors, e => !e.Contains("net::", StringComparison.Ordinal));
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    /// <summary>Waits until the element's whole text is <paramref name="text"/> ("Live", not "Not live").</summary>
    private static async Task WaitForTextAsync(IPage page, string selector, string text) =>
        await page.Locator(selector, new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^\\s*{System.Text.RegularExpressions.Regex.Escape(text)}\\s*$") }).WaitForAsync();

    private async Task Screenshot(IPage page, string name, bool fullPage = true) =>
        output.WriteLine("Screenshot: " + await UiBrowser.ScreenshotAsync(page, name, fullPage));
}
