using Microsoft.Playwright;

namespace StageStream.Tests.Infrastructure;

/// <summary>
/// The machine's own headless Chromium (Debian's package; browsers cannot be downloaded here), with the
/// flags that keep it from reaching for the network.
/// </summary>
public static class SystemChromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
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
