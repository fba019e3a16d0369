using Microsoft.Playwright;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Browser;

/// <summary>
/// The system's headless Chromium (never a downloaded one), shared by the tests of a class, and
/// where their screenshots go: TestResults/screenshots under the test output folder, or
/// STAGESTREAM_SCREENSHOTS if set.
/// </summary>
public sealed class UiBrowser : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotFolder { get; } = Environment.GetEnvironmentVariable("STAGESTREAM_SCREENSHOTS") is { Length: > 0 } folder
        ? folder
        : Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ScreenshotFolder);
        _playwright = await Playwright.CreateAsync();
        Browser = await SystemChromium.LaunchAsync(_playwright);
    }

    /// <summary>A page of a new context in <paramref name="locale"/>; browser errors are collected in <paramref name="errors"/>.</summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress, List<string> errors, string locale = "en-US", int width = 1366, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            Locale = locale,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept-Language"] = locale },
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors)
                {
                    errors.Add($"[console.error] {message.Text}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add($"[pageerror] {error}");
            }
        };
        return page;
    }

    /// <summary>Goes to <paramref name="path"/> and waits until the Blazor circuit is interactive.</summary>
    public static async Task GotoInteractiveAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await page.Locator("[data-testid=interactive]").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
    }

    public static async Task<string> ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage });
        return path;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}
