using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using StageStream.Tests.Browser;
using Xunit.Abstractions;

namespace StageStream.Tests.Studio;

/// <summary>
/// The studio in real Chromium: every page in both languages at 1366 and 390 px, with a project mid-run and one done, checked by
/// axe-core and for English left on the Chinese pages; then each management action as a person does it.
/// </summary>
[Collection(StudioCollection.Name)]
public sealed class StudioBrowserTests(StudioApp studio, UiBrowser browser, ITestOutputHelper output)
{
    private static readonly (string Locale, int Width, int Height)[] Views = [("en-US", 1366, 900), ("zh-CN", 1366, 900), ("en-US", 390, 844), ("zh-CN", 390, 844)];

    [Fact]
    public async Task EveryPageInBothLanguagesAndWidthsHasNoSeriousAxeViolationAndNoEnglishInChinese()
    {
        // Long enough to stay mid-run while each view is checked (the rewrite drops repeated sentences, so each is new).
        var midId = await studio.CreateAsync("长篇", string.Concat(Enumerable.Range(1, 200).Select(i => $"第{i}天，守塔人点亮了大灯，望着第{i}条小船回到港口。")));
        var problems = new List<string>();
        var errors = new List<string>();
        foreach (var (locale, width, height) in Views)
        {
            var page = await browser.NewPageAsync(studio.App.BaseAddress, errors, locale, width, height);
            var view = $"{locale}@{width}";
            async Task CheckAsync(string where)
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                problems.AddRange(await StudioPageChecks.AxeAsync(page, $"{view} {where}"));
                if (locale.StartsWith("zh", StringComparison.Ordinal))
                {
                    problems.AddRange(await StudioPageChecks.EnglishWordsAsync(page, $"{view} {where}"));
                }
                output.WriteLine($"{view} {where}: checked in {watch.ElapsedMilliseconds} ms");
            }

            await UiBrowser.GotoInteractiveAsync(page, "/");
            await page.Locator("[data-testid=project-link]").First.WaitForAsync();
            await CheckAsync("projects");
            await page.ClickAsync("[data-testid=new-project]");
            await page.Locator("[data-testid=new-project-dialog]").WaitForAsync();
            // The dialog takes the focus, on its first field, and shows no error before anything was typed.
            await WaitForFocusAsync(page, "input[data-testid=project-name]");
            Assert.Equal("", string.Join("\n", await page.Locator(".mud-input-error").EvaluateAllAsync<string[]>("els => els.map(e => e.outerHTML.slice(0, 300))")));
            await CheckAsync("new project dialog");
            await page.Keyboard.PressAsync("Escape");
            await page.Locator("[data-testid=new-project-dialog]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
            await WaitForFocusAsync(page, "[data-testid=new-project]");

            await UiBrowser.GotoInteractiveAsync(page, $"/projects/{studio.DoneId}");
            await page.Locator("[data-testid=stage-video_generation][data-status=completed]").WaitForAsync();
            // The page replays the project's past events as it connects: the bar ends at 100%, the pipeline being done.
            await page.Locator("[data-testid=pipeline-overall][data-progress='100']").WaitForAsync();
            await CheckAsync("project done");
            // Every tab is on screen (none behind a scroll arrow) and keeps its label once chosen.
            var tabs = page.GetByRole(AriaRole.Tab);
            Assert.Equal(5, await tabs.CountAsync());
            for (var i = 0; i < 5; i++)
            {
                var box = await tabs.Nth(i).BoundingBoxAsync();
                Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= width, $"{view}: tab {i} is off screen");
            }
            for (var i = 1; i < 5; i++)
            {
                await tabs.Nth(i).ClickAsync();
                await page.WaitForTimeoutAsync(150);
                Assert.All(await tabs.AllTextContentsAsync(), label => Assert.False(string.IsNullOrWhiteSpace(label)));
                if (width > 1000 || i == 4)
                {
                    await CheckAsync($"project done, tab {i}");
                }
            }
            // Every shot is in the gallery.
            Assert.Equal((await studio.GetAsync(studio.DoneId)).GetProperty("shots").GetArrayLength(), await page.Locator("[data-testid=shot-card]").CountAsync());
            if (width < 500)
            {
                // The stages are a strip: the content starts within the first screen.
                var content = await page.GetByRole(AriaRole.Tablist).BoundingBoxAsync();
                Assert.True(content!.Y < height, $"{view}: the tabs start at {content.Y} px");
                Assert.False(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1"), $"{view}: the page scrolls sideways");
            }
            await UiBrowser.ScreenshotAsync(page, $"studio-project-done-{locale}-{width}", fullPage: false);

            Assert.Equal(HttpStatusCode.Accepted, (await studio.App.Client.PostAsync($"/api/v1/projects/{midId}/stages/rewrite/run?force=true", null)).StatusCode);
            await UiBrowser.GotoInteractiveAsync(page, $"/projects/{midId}");
            await page.Locator("[data-testid=stage-rewrite][data-status=processing]").WaitForAsync();
            await page.Locator("[data-testid=rewrite-text]").Filter(new() { HasTextRegex = new("\\S") }).WaitForAsync();
            await CheckAsync("project mid-run");
            await UiBrowser.ScreenshotAsync(page, $"studio-project-running-{locale}-{width}", fullPage: false);
            Assert.Equal(HttpStatusCode.Accepted, (await studio.App.Client.PostAsync($"/api/v1/projects/{midId}/cancel", null)).StatusCode);
            await studio.WaitForStatusAsync(midId, "cancelled");
            Assert.Equal(HttpStatusCode.Accepted, (await studio.App.Client.PostAsync($"/api/v1/projects/{midId}/stages/rewrite/run?force=true", null)).StatusCode);
            await UiBrowser.GotoInteractiveAsync(page, $"/projects/{midId}/rewrite");
            await page.Locator("[data-testid=rewrite-live-text]").Filter(new() { HasTextRegex = new("\\S") }).WaitForAsync();
            Assert.Equal("Processing", await page.GetAttributeAsync("[data-testid=rewrite-progress]", "data-state"));
            await CheckAsync("rewrite view mid-run");
            Assert.Equal(HttpStatusCode.Accepted, (await studio.App.Client.PostAsync($"/api/v1/projects/{midId}/cancel", null)).StatusCode);
            await studio.WaitForStatusAsync(midId, "cancelled");

            foreach (var (path, name) in new[] { ($"/projects/{studio.DoneId}/rewrite", "rewrite view done"), ("/sse-demo", "sse demo"), ("/settings", "settings"), ("/no/such/page", "not found") })
            {
                await UiBrowser.GotoInteractiveAsync(page, path);
                await page.WaitForTimeoutAsync(200);
                await CheckAsync(name);
            }
            await page.Context.CloseAsync();
        }
        output.WriteLine(string.Join("\n", problems));
        Assert.Empty(problems);
        // The unknown page's own 404 is the one resource error expected.
        Assert.DoesNotContain(errors, e => !e.Contains("404", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DownloadsTheFilmSubtitlesAndZipFromTheVideoTab()
    {
        var page = await browser.NewPageAsync(studio.App.BaseAddress, []);
        await UiBrowser.GotoInteractiveAsync(page, $"/projects/{studio.DoneId}");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Video" }).ClickAsync();
        foreach (var (button, name, check) in new (string, string, Func<byte[], bool>)[]
        {
            ("download-film", "灯塔.mp4", bytes => bytes[4..8].SequenceEqual("ftyp"u8.ToArray())),
            ("subtitles-srt", "灯塔.srt", bytes => System.Text.Encoding.UTF8.GetString(bytes).StartsWith("1", StringComparison.Ordinal)),
            ("download-zip", "灯塔-media.zip", bytes => bytes[..2].SequenceEqual("PK"u8.ToArray())),
        })
        {
            var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync($"[data-testid={button}]"));
            Assert.Equal(name, download.SuggestedFilename);
            var path = await download.PathAsync();
            Assert.True(check(await File.ReadAllBytesAsync(path)), $"{name} is not what it says");
        }
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SearchRenameDuplicateAndDeleteFromTheProjectsList()
    {
        var unique = "Harbour-" + Guid.NewGuid().ToString("N")[..6];
        var id = await studio.CreateAsync(unique, "A fox ran home. The moon rose over the hill.");
        await studio.RunToEndAsync(id);
        var media = Path.Combine(studio.App.DataPath, "media", id);
        Assert.True(Directory.Exists(media));
        var page = await browser.NewPageAsync(studio.App.BaseAddress, []);
        await UiBrowser.GotoInteractiveAsync(page, "/");
        var links = page.Locator("[data-testid=project-link]");

        // Search: only the project whose name matches.
        await page.Locator("input[data-testid=project-search]").FillAsync(unique[..10]);
        await Assertions.Expect(links).ToHaveTextAsync([unique]);

        // Rename through the row's menu; the dialog takes the focus, and gives it back to the row's menu when it closes.
        static string Menu(string name) => $"button[aria-label=\"Actions for {name}\"]";
        var field = page.Locator("input[data-testid=rename-name]");
        await page.Locator(Menu(unique)).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Rename" }).ClickAsync();
        await WaitForFocusAsync(page, "input[data-testid=rename-name]");
        await page.Keyboard.PressAsync("Escape");
        await WaitForFocusAsync(page, Menu(unique));
        await page.Locator(Menu(unique)).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Rename" }).ClickAsync();
        await WaitForFocusAsync(page, "input[data-testid=rename-name]");
        await field.FillAsync(unique + " renamed");
        await page.ClickAsync("[data-testid=rename-save]");
        await Assertions.Expect(links).ToHaveTextAsync([unique + " renamed"]);
        await WaitForFocusAsync(page, Menu(unique + " renamed"));
        Assert.Equal(unique + " renamed", (await studio.GetAsync(id)).GetProperty("name").GetString());

        // Duplicate: a second row, the copy.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Actions for {unique} renamed" }).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Duplicate" }).ClickAsync();
        await Assertions.Expect(links).ToHaveTextAsync([$"{unique} renamed (copy)", unique + " renamed"]);

        // Delete after confirming: the row and the media folder go. Cancelled, the focus is back on the row's menu;
        // done, on the menu of the row that takes its place (here the one before it, the last row having gone).
        await page.Locator(Menu(unique + " renamed")).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Delete" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await WaitForFocusAsync(page, Menu(unique + " renamed"));
        await page.Locator(Menu(unique + " renamed")).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "Delete" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Assertions.Expect(links).ToHaveTextAsync([$"{unique} renamed (copy)"]);
        await WaitForFocusAsync(page, Menu($"{unique} renamed (copy)"));
        Assert.False(Directory.Exists(media));
        Assert.Equal(HttpStatusCode.NotFound, (await studio.App.Client.GetAsync($"/api/v1/projects/{id}")).StatusCode);

        // Filter by status: the copy is a draft, never completed.
        await page.Locator(".mud-select", new() { HasText = "Status" }).First.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Completed" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=projects-table]")).ToContainTextAsync("No project matches.");
        await page.Context.CloseAsync();
    }

    /// <summary>Waits until the focus is on <paramref name="selector"/>; says where it is instead if it never gets there.</summary>
    private static async Task WaitForFocusAsync(IPage page, string selector)
    {
        try
        {
            await page.WaitForFunctionAsync("s => document.activeElement?.matches(s)", selector, new() { Timeout = 5000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The focus is not on {selector} but on {await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 300)")}");
        }
    }
}
