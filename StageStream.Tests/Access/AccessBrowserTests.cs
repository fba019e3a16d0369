using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using StageStream.Tests.Browser;
using StageStream.Tests.Infrastructure;
using StageStream.Web.Access;
using Xunit.Abstractions;

namespace StageStream.Tests.Access;

/// <summary>
/// Accounts in real Chromium, on a fresh install: the first visitor makes the owner, who adds a member, makes and runs a
/// project and shares it; the member cannot see it; the share link plays the film signed out; a page of another site
/// cannot run or cancel by the owner's cookie; an allowed origin's EventSource receives the events with the cookie
/// (withCredentials) or with a stream token.
/// </summary>
public sealed class AccessBrowserTests(UiBrowser browser, ITestOutputHelper output) : IClassFixture<UiBrowser>
{
    /// <summary>Another port of the same site (a front end of its own): the sign-in cookie (SameSite=Lax) goes along.</summary>
    private static readonly int AllowedPort = FreePorts.Next();
    private static readonly string AllowedOrigin = $"http://localhost:{AllowedPort}";

    /// <summary>One sentence: one shot, so the film is made in seconds.</summary>
    private const string Story = "The keeper lit the lamp at dusk.";

    [Fact]
    public async Task OwnerSetsUpRunsAndSharesAMemberCannotSeeItAndOtherSitesCannotActByCookie()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:Mode"] = "accounts",
            ["Cors:AllowedOrigins"] = AllowedOrigin,
            ["Pipeline:Width"] = "320",
            ["Pipeline:Height"] = "180",
        });
        // By name, so the cookie's site is "localhost", as the allowed origin's is.
        var site = new Uri($"http://localhost:{app.BaseAddress.Port}/");
        var errors = new List<string>();

        // First visit: the set-up page makes the owner, who lands signed in.
        var owner = await browser.NewPageAsync(site, errors);
        await UiBrowser.GotoInteractiveAsync(owner, "/");
        Assert.EndsWith("/account/setup", owner.Url);
        await Screenshot(owner, "access-01-setup");
        await owner.FillAsync("[data-testid=user-name]", "owner");
        await owner.FillAsync("[data-testid=password]", AccessApp.Password);
        await owner.ClickAsync("[data-testid=submit]");
        await owner.Locator("[data-testid=signed-in-as]", new() { HasText = "owner" }).WaitForAsync();
        await owner.Locator("[data-testid=interactive]").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        // The owner adds a member on the users page.
        await UiBrowser.GotoInteractiveAsync(owner, "/account/users");
        await owner.FillAsync("input[data-testid=new-user-name]", "bob");
        await owner.FillAsync("input[data-testid=new-user-password]", AccessApp.Password);
        await owner.Locator("input[data-testid=new-user-password]").BlurAsync();
        await owner.ClickAsync("[data-testid=add-user]");
        await owner.Locator("[data-testid=users-table]", new() { HasText = "bob" }).WaitForAsync();
        await Screenshot(owner, "access-02-users");

        // Makes a project and runs it, watching it to the film.
        await UiBrowser.GotoInteractiveAsync(owner, "/");
        await owner.ClickAsync("[data-testid=new-project]");
        await owner.FillAsync("input[data-testid=project-name]", "Lighthouse");
        await owner.FillAsync("textarea[data-testid=project-text]", Story);
        await owner.Locator("textarea[data-testid=project-text]").BlurAsync();
        await owner.ClickAsync("[data-testid=create-project]");
        await owner.Locator("[data-testid=run-all]").WaitForAsync();
        var projectId = owner.Url.TrimEnd('/').Split('/')[^1];
        await owner.Locator("[data-testid=live-status]", new() { HasText = "Live" }).WaitForAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await owner.ClickAsync("[data-testid=run-all]");
        await owner.Locator("[data-testid=pipeline-message]", new() { HasText = "The pipeline is done" }).WaitForAsync(new() { Timeout = 180_000 });
        output.WriteLine($"The pipeline ran in {clock.Elapsed.TotalSeconds:0.0} s");
        await Screenshot(owner, "access-03-run");

        // Shares it.
        await owner.GetByRole(AriaRole.Tab, new() { Name = "Share" }).ClickAsync();
        await owner.ClickAsync("[data-testid=create-share]");
        var shareUrl = (await owner.Locator("[data-testid=share-url]").TextContentAsync())!.Trim();
        Assert.Contains("/s/shr_", shareUrl);
        await Screenshot(owner, "access-04-share");

        // The member sees no projects, and the project's page is not found for them.
        var member = await browser.NewPageAsync(site, errors);
        await member.GotoAsync("/account/signin");
        await member.Locator("[data-testid=interactive]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await member.FillAsync("[data-testid=user-name]", "bob");
        await member.FillAsync("[data-testid=password]", AccessApp.Password);
        await member.ClickAsync("[data-testid=submit]");
        await member.Locator("[data-testid=signed-in-as]", new() { HasText = "bob" }).WaitForAsync();
        await member.Locator("[data-testid=projects-table]", new() { HasText = "No projects" }).WaitForAsync();
        Assert.Equal(0, await member.Locator("text=Lighthouse").CountAsync());
        var hidden = await member.GotoAsync($"/projects/{projectId}");
        Assert.Equal(404, hidden!.Status);
        Assert.DoesNotContain("Lighthouse", await member.ContentAsync());
        await Screenshot(member, "access-05-member");

        // Signed out, the share link shows the project and plays its film, and offers no buttons.
        var viewer = await browser.NewPageAsync(site, errors);
        await UiBrowser.GotoInteractiveAsync(viewer, new Uri(shareUrl).PathAndQuery);
        await viewer.Locator("[data-testid=project-name]", new() { HasText = "Lighthouse" }).WaitForAsync();
        Assert.Equal(0, await viewer.Locator("[data-testid=run-all]").CountAsync());
        await viewer.GetByRole(AriaRole.Tab, new() { Name = "Video" }).ClickAsync();
        await viewer.Locator("video[data-testid=final-video]").WaitForAsync();
        await viewer.WaitForFunctionAsync("() => document.querySelector('video[data-testid=final-video]').duration > 0");
        await viewer.EvaluateAsync("async () => { const v = document.querySelector('video[data-testid=final-video]'); v.muted = true; await v.play(); }");
        // Playing: its time moves on (on a loaded machine that may take more than a moment); the wait fails if it never does.
        var playing = viewer.WaitForFunctionAsync(
            "() => document.querySelector('video[data-testid=final-video]').currentTime > 0", null, new() { Timeout = 20_000 });
        var error = await Record.ExceptionAsync(() => playing);
        Assert.True(error is null, $"the shared film did not play: {error?.Message}");
        await Screenshot(viewer, "access-06-shared");

        // A page of another site (127.0.0.1 is not localhost's site) tries to run and cancel with the owner's cookie: nothing happens.
        var auditBefore = await AuditAsync(owner);
        await using var evil = await PageServer.StartAsync(FreePorts.Next(), EvilPage(site, projectId));
        await owner.GotoAsync($"http://127.0.0.1:{evil.Port}/attack.html");
        // Step by step, so a stall names its step: the page's own cancel request is answered, then a click sends the form.
        var cancelled = await owner.WaitForFunctionAsync("() => window.cancelAnswered", null, new() { Timeout = 30_000 });
        output.WriteLine("The forged cancel: " + await cancelled.JsonValueAsync<string>());
        // The answer itself, read whole: the browser's load event of a JSON document was once not seen within 30 s on a
        // loaded machine, and what matters is what the server said.
        var refused = await owner.RunAndWaitForResponseAsync(() => owner.ClickAsync("#prize"),
            response => response.Url.EndsWith("/pipeline/run?force=true", StringComparison.Ordinal), new() { Timeout = 30_000 });
        var answer = await refused.TextAsync();
        output.WriteLine("The forged form's answer: " + answer);
        Assert.Equal(403, refused.Status);
        Assert.Contains("Cross-site request refused", answer);
        await UiBrowser.GotoInteractiveAsync(owner, $"/projects/{projectId}");
        var auditAfter = await AuditAsync(owner);
        Assert.Equal(auditBefore, auditAfter);
        Assert.Equal("completed", (await ProjectAsync(owner, projectId)).GetProperty("status").GetString());

        // An allowed origin's EventSource, with the cookie (withCredentials) and with a stream token in a signed-out context.
        var client = await File.ReadAllTextAsync(Path.Combine(JsClient.JsClientBrowser.RepositoryRoot, "StageStream.Web", "wwwroot", "js", "stagestream-sse.js"));
        await using var frontEnd = await PageServer.StartAsync(AllowedPort, FrontEndPage, client);
        var token = (await (await owner.APIRequest.PostAsync($"/api/v1/projects/{projectId}/stream-tokens")).JsonAsync())!.Value.GetProperty("token").GetString();
        var withCookie = await EventsFromAllowedOriginAsync(owner, $"{site}api/v1/sse/projects/{projectId}/", credentials: true);
        Assert.Contains("pipeline_done", withCookie);
        var stranger = await browser.NewPageAsync(site, errors);
        var withToken = await EventsFromAllowedOriginAsync(stranger, $"{site}api/v1/sse/projects/{projectId}/?access_token={Uri.EscapeDataString(token!)}", credentials: false);
        Assert.Contains("pipeline_done", withToken);
        var without = await EventsFromAllowedOriginAsync(stranger, $"{site}api/v1/sse/projects/{projectId}/", credentials: true);
        Assert.StartsWith("error", without);

        // The JS client with a token function: the first token has expired (401), so it asks again and streams with the fresh one.
        var ownerId = (await (await owner.APIRequest.GetAsync("/api/v1/users")).JsonAsync())!.Value[0].GetProperty("id").GetString()!;
        var expired = new StreamTokens(app.Service<IDataProtectionProvider>(), app.Service<IOptions<AuthOptions>>(), new AccessApp.ShiftedClock(TimeSpan.FromHours(-1)))
            .Issue(ownerId, projectId, null).Token;
        await stranger.GotoAsync($"{AllowedOrigin}/client.html");
        await stranger.WaitForFunctionAsync("() => window.follow");
        var followed = await stranger.EvaluateAsync<JsonElement>("([base, project, tokens]) => window.follow(base, project, tokens)",
            new object[] { site.ToString(), projectId, new[] { expired, token! } });
        output.WriteLine("JS client: " + followed);
        Assert.Equal(2, followed.GetProperty("calls").GetInt32());
        var seen = followed.GetProperty("seen").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal("transport_error", seen[0]);
        Assert.Contains("pipeline_done", seen);

        lock (errors)
        {
            // Resources refused on purpose (the hidden project, the forged requests, the stream without credentials) are logged by the browser.
            var unexpected = errors.Where(e => !e.Contains("401") && !e.Contains("403") && !e.Contains("404") && !e.Contains("CORS") && !e.Contains("net::ERR_FAILED")).ToList();
            Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
        }
    }

    /// <summary>A front end on the allowed origin that follows a project with the JS client, asking a function for each stream token.</summary>
    private const string FrontEndPage = """
        <html><body>front end
        <script type="module">
          import { createProjectAllStagesSSE } from '/stagestream-sse.js';
          window.follow = (base, project, tokens) => new Promise(resolve => {
            let calls = 0;
            const seen = [];
            const client = createProjectAllStagesSSE(project, {
              baseUrl: base, retryDelays: [100], accessToken: async () => tokens[Math.min(calls++, tokens.length - 1)],
            });
            client.on('transport_error', () => seen.push('transport_error'));
            client.on('message', m => { seen.push(m.type); if (m.type === 'pipeline_done') { client.disconnect(); resolve({ seen, calls }); } });
            setTimeout(() => { client.disconnect(); resolve({ seen, calls }); }, 15000);
          });
        </script>
        </body></html>
        """;

    /// <summary>A page that tries to cancel the project by a no-cors fetch, and offers a button that posts a form to run its pipeline.</summary>
    private static string EvilPage(Uri site, string projectId) => $$"""
        <html><body>
        <form method="post" action="{{site}}api/v1/projects/{{projectId}}/pipeline/run?force=true">
          <button id="prize">Claim your prize</button>
        </form>
        <script>
          fetch('{{site}}api/v1/projects/{{projectId}}/cancel', { method: 'POST', credentials: 'include', mode: 'no-cors' })
            .then(() => window.cancelAnswered = 'answered', e => window.cancelAnswered = 'failed: ' + e);
        </script>
        </body></html>
        """;

    /// <summary>The types of the messages an EventSource on the allowed origin's page receives until pipeline_done, or "error".</summary>
    private static async Task<string> EventsFromAllowedOriginAsync(IPage page, string url, bool credentials)
    {
        await page.GotoAsync($"{AllowedOrigin}/watch.html");
        return await page.EvaluateAsync<string>("""
            ([url, credentials]) => new Promise(resolve => {
              const types = [];
              const source = new EventSource(url, { withCredentials: credentials });
              source.onmessage = e => { types.push(JSON.parse(e.data).type); if (types.includes('pipeline_done')) { source.close(); resolve(types.join(' ')); } };
              source.onerror = () => {
                source.close();
                if (types.length) { resolve(types.join(' ')); return; }
                // Why, as far as a page may know: fetch sees the status when CORS lets it.
                fetch(url, { credentials: credentials ? 'include' : 'omit' })
                  .then(r => resolve('error ' + r.status), e => resolve('error ' + e));
              };
              setTimeout(() => { source.close(); resolve(types.join(' ') || 'timeout'); }, 15000);
            })
            """, new object[] { url, credentials });
    }

    private static async Task<int> AuditAsync(IPage signedIn) =>
        (await (await signedIn.APIRequest.GetAsync("/api/v1/audit")).JsonAsync())!.Value.GetArrayLength();

    private static async Task<JsonElement> ProjectAsync(IPage signedIn, string projectId) =>
        (await (await signedIn.APIRequest.GetAsync($"/api/v1/projects/{projectId}")).JsonAsync())!.Value;

    private static Task Screenshot(IPage page, string name) => UiBrowser.ScreenshotAsync(page, name);

    /// <summary>A site of its own on loopback serving one page (Chromium lets a loopback page, not a routed one, reach loopback).</summary>
    private sealed class PageServer(WebApplication web, int port) : IAsyncDisposable
    {
        public int Port => port;

        public static async Task<PageServer> StartAsync(int port, string html, string? clientModule = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Logging.ClearProviders();
            var web = builder.Build();
            web.MapGet("/stagestream-sse.js", () => Results.Content(clientModule ?? "", "text/javascript"));
            web.MapGet("/{**path}", () => Results.Content(html, "text/html"));
            await web.StartAsync();
            return new PageServer(web, port);
        }

        public async ValueTask DisposeAsync()
        {
            await web.StopAsync();
            await web.DisposeAsync();
        }
    }
}
