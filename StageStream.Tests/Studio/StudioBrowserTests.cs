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

    /// <remarks>
    /// The four views (language x width) are checked at once, each in a context of its own in the one browser: first the done
    /// project and every other page, then the same run mid-way, one run that all four watch.
    /// </remarks>
    [Fact]
    public async Task EveryPageInBothLanguagesAndWidthsHasNoSeriousAxeViolationAndNoEnglishInChinese()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Long enough to stay mid-run while the views are checked (the rewrite drops repeated sentences, so each is new).
        var midId = await studio.CreateAsync("长篇", string.Concat(Enumerable.Range(1, 600).Select(i => $"第{i}天，守塔人点亮了大灯，望着第{i}条小船回到港口。")));
        var problems = new List<string>();
        var errors = new List<string>();
        var pages = await Task.WhenAll(Views.Select(v => browser.NewPageAsync(studio.App.BaseAddress, errors, v.Locale, v.Width, v.Height)));
        async Task CheckAsync(IPage page, string where)
        {
            var check = System.Diagnostics.Stopwatch.StartNew();
            var found = await StudioPageChecks.AxeAsync(page, where);
            if (where.StartsWith("zh", StringComparison.Ordinal))
            {
                found.AddRange(await StudioPageChecks.EnglishWordsAsync(page, where));
            }
            lock (problems)
            {
                problems.AddRange(found);
                output.WriteLine($"{where}: checked in {check.ElapsedMilliseconds} ms");
            }
        }

        await Task.WhenAll(Views.Select((v, i) => CheckDoneAndOtherPagesAsync(pages[i], $"{v.Locale}@{v.Width}", v.Width, v.Height, CheckAsync)));
        output.WriteLine($"done project and other pages: {watch.ElapsedMilliseconds} ms");

        Assert.Equal(HttpStatusCode.Accepted, (await studio.App.Client.PostAsync($"/api/v1/projects/{midId}/stages/rewrite/run?force=true", null)).StatusCode);
        await Task.WhenAll(Views.Select((v, i) => CheckMidRunAsync(pages[i], $"{v.Locale}@{v.Width}", midId, CheckAsync)));
        Assert.Equal(HttpStatusCode.Accepted, (await studio.App.Client.PostAsync($"/api/v1/projects/{midId}/cancel", null)).StatusCode);
        await studio.WaitForStatusAsync(midId, "cancelled");
        // The checker finds what it should: a button without a name, added to a page, is a critical violation.
        await pages[0].EvaluateAsync("() => document.body.appendChild(document.createElement('button'))");
        Assert.Contains(await StudioPageChecks.AxeAsync(pages[0], "probe"), p => p.Contains("button-name (critical)", StringComparison.Ordinal));
        await Task.WhenAll(pages.Select(p => p.Context.CloseAsync()));
        output.WriteLine($"all: {watch.ElapsedMilliseconds} ms");

        output.WriteLine(string.Join("\n", problems));
        Assert.Empty(problems);
        // The unknown page's own 404 is the one resource error expected.
        Assert.DoesNotContain(errors, e => !e.Contains("404", StringComparison.Ordinal));
    }

    /// <summary>The projects list and its dialog, the done project with each of its tabs, and the pages without a project.</summary>
    private async Task CheckDoneAndOtherPagesAsync(IPage page, string view, int width, int height, Func<IPage, string, Task> check)
    {
        await UiBrowser.GotoInteractiveAsync(page, "/");
        await page.Locator("[data-testid=project-link]").First.WaitForAsync();
        await check(page, $"{view} projects");
        await page.ClickAsync("[data-testid=new-project]");
        await page.Locator("[data-testid=new-project-dialog]").WaitForAsync();
        // The dialog takes the focus, on its first field, and shows no error before anything was typed.
        await WaitForFocusAsync(page, "input[data-testid=project-name]");
        Assert.Equal("", string.Join("\n", await page.Locator(".mud-input-error").EvaluateAllAsync<string[]>("els => els.map(e => e.outerHTML.slice(0, 300))")));
        await check(page, $"{view} new project dialog");
        await page.Keyboard.PressAsync("Escape");
        await page.Locator("[data-testid=new-project-dialog]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await WaitForFocusAsync(page, "[data-testid=new-project]");

        await NavigateAsync(page, $"/projects/{studio.DoneId}");
        await page.Locator("[data-testid=stage-video_generation][data-status=completed]").WaitForAsync();
        // The page replays the project's past events as it connects: the bar ends at 100%, the pipeline being done.
        await page.Locator("[data-testid=pipeline-overall][data-progress='100']").WaitForAsync();
        await check(page, $"{view} project done");
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
            await Assertions.Expect(tabs.Nth(i)).ToHaveAttributeAsync("aria-selected", "true");
            Assert.All(await tabs.AllTextContentsAsync(), label => Assert.False(string.IsNullOrWhiteSpace(label)));
            // Each tab's content at the wide width; at the narrow one the last (the video, with the most controls).
            if (width > 1000 || i == 4)
            {
                await check(page, $"{view} project done, tab {i}");
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
        await UiBrowser.ScreenshotAsync(page, $"studio-project-done-{view.Replace('@', '-')}", fullPage: false);

        // Each page once it shows what it is about, rather than after a fixed wait; the unknown one loaded anew, for the server's 404.
        foreach (var (path, name, ready) in new[]
        {
            ($"/projects/{studio.DoneId}/rewrite", "rewrite view done", "[data-testid=rewrite-progress][data-state=Done]"),
            ("/sse-demo", "sse demo", "h1"), ("/settings", "settings", "[data-testid=provider-openai]"), ("/no/such/page", "not found", "[data-testid=back-home]"),
        })
        {
            if (name == "not found")
            {
                await UiBrowser.GotoInteractiveAsync(page, path);
            }
            else
            {
                await NavigateAsync(page, path);
            }
            await page.Locator(ready).First.WaitForAsync();
            await check(page, $"{view} {name}");
        }
    }

    /// <summary>The project page and the rewrite view while the rewrite streams.</summary>
    private static async Task CheckMidRunAsync(IPage page, string view, string midId, Func<IPage, string, Task> check)
    {
        await NavigateAsync(page, $"/projects/{midId}");
        await page.Locator("[data-testid=stage-rewrite][data-status=processing]").WaitForAsync();
        await page.Locator("[data-testid=rewrite-text]").Filter(new() { HasTextRegex = new("\\S") }).WaitForAsync();
        await check(page, $"{view} project mid-run");
        await UiBrowser.ScreenshotAsync(page, $"studio-project-running-{view.Replace('@', '-')}", fullPage: false);
        await NavigateAsync(page, $"/projects/{midId}/rewrite");
        await page.Locator("[data-testid=rewrite-live-text]").Filter(new() { HasTextRegex = new("\\S") }).WaitForAsync();
        Assert.Equal("Processing", await page.GetAttributeAsync("[data-testid=rewrite-progress]", "data-state"));
        await check(page, $"{view} rewrite view mid-run");
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

    /// <summary>
    /// Goes to another page of the app as its links do, within the page's circuit: no new load and connection, and the
    /// axe-core already injected stays.
    /// </summary>
    private static async Task NavigateAsync(IPage page, string path)
    {
        await page.EvaluateAsync("path => Blazor.navigateTo(path)", path);
        await page.WaitForURLAsync(new Uri(new Uri(page.Url), path).ToString());
    }

    /// <summary>Waits until the focus is on <paramref name="selector"/>; says where it is instead if it never gets there.</summary>
    private static async Task WaitForFocusAsync(IPage page, string selector)
    {
        try
        {
            await page.WaitForFunctionAsync("s => document.activeElement?.matches(s)", selector, new() { Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The focus is not on {selector} but on {await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 300)")}");
        }
    }
}
