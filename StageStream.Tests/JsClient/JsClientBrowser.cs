using Microsoft.Playwright;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.JsClient;

/// <summary>
/// The system's headless Chromium (never a downloaded one) and the fake SSE server serving the real
/// client module from StageStream.Web/wwwroot, shared by the tests of a class.
/// </summary>
public sealed class JsClientBrowser : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowserContext? _context;

    public IBrowser Browser { get; private set; } = null!;
    public FakeSseServer Server { get; private set; } = null!;

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public async Task InitializeAsync()
    {
        Server = await FakeSseServer.StartAsync(
            Path.Combine(RepositoryRoot, "StageStream.Web", "wwwroot", "js", "stagestream-sse.js"),
            Path.Combine(RepositoryRoot, "StageStream.Tests", "JsClient", "harness.html"));
        _playwright = await Playwright.CreateAsync();
        Browser = await SystemChromium.LaunchAsync(_playwright);
        _context = await Browser.NewContextAsync();
    }

    /// <summary>A fresh page on the harness, its console copied to <paramref name="log"/>.</summary>
    public async Task<IPage> OpenHarnessAsync(Action<string> log)
    {
        // One context for the class: a context costs about a second on a busy machine, a page much less.
        var page = await _context!.NewPageAsync();
        page.Console += (_, message) => log($"[console.{message.Type}] {message.Text}");
        page.PageError += (_, error) => log($"[pageerror] {error}");
        await page.GotoAsync(new Uri(Server.PageOrigin, "/harness.html").ToString());
        await page.WaitForFunctionAsync("() => window.harnessReady === true", null, new() { Timeout = 10_000 });
        return page;
    }

    public async Task DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.DisposeAsync();
        }
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StageStream.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("StageStream.sln not found above " + AppContext.BaseDirectory);
    }
}
