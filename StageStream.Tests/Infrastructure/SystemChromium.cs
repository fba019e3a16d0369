using Microsoft.Playwright;

namespace StageStream.Tests.Infrastructure;

/// <summary>
/// The machine's own headless Chromium (Debian's package; browsers cannot be downloaded here), with the
/// flags that keep it from reaching for the network.
/// </summary>
public static class SystemChromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        // Playwright's assertions retry for 5 s by default; on a busy 2-core machine a page's round trip to the
        // server may take longer, as the other waits of these tests (30 s) allow.
        Assertions.SetDefaultExpectTimeout(30_000);
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
            ],
        });
    }
}
