using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace StageStream.Tests.Access;

/// <summary>Cross-site refusals, lockout, expired tokens, revoked links, the audit trail and who started each run, on the access matrix's app.</summary>
public sealed class AccessFlowTests(AccessApp fixture) : IClassFixture<AccessApp>
{
    [Theory]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    [InlineData("Origin", "http://evil.test")]
    public async Task ACookieRequestFromAnotherSiteCannotChangeAnything(string header, string value)
    {
        using var request = fixture.Request(HttpMethod.Post, $"/api/v1/projects/{fixture.ProjectP}/cancel", fixture.AliceCookie);
        request.Headers.Add(header, value);
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Cross-site request refused", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());

        // The app's own pages, and a program with an API key, may.
        using var own = fixture.Request(HttpMethod.Post, $"/api/v1/projects/{fixture.ProjectP}/cancel", fixture.AliceCookie);
        own.Headers.Add("Sec-Fetch-Site", "same-origin");
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Http.SendAsync(own)).StatusCode);
        using var keyed = fixture.Request(HttpMethod.Post, $"/api/v1/projects/{fixture.ProjectP}/cancel", bearer: fixture.AliceKey);
        keyed.Headers.Add(header, value);
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Http.SendAsync(keyed)).StatusCode);
    }

    [Fact]
    public async Task AnExpiredStreamTokenGetsA401ProblemThatSaysSoAndAFreshOneStreams()
    {
        using var expired = await fixture.Http.GetAsync(
            $"/api/v1/sse/projects/{fixture.ProjectP}/?access_token={Uri.EscapeDataString(fixture.ExpiredTokenForP)}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        var problem = await expired.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Stream token expired", problem.GetProperty("title").GetString());
        Assert.Contains("stream-tokens", problem.GetProperty("detail").GetString());

        var fresh = await fixture.PostJsonAsync($"/api/v1/projects/{fixture.ProjectP}/stream-tokens?stage=rewrite", fixture.AliceCookie, null);
        using var stream = await fixture.Http.GetAsync(fresh.GetProperty("stream_url").GetString(), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        // A token for one stage opens that stage only.
        using var other = await fixture.Http.GetAsync(
            $"/api/v1/sse/projects/{fixture.ProjectP}/stages/storyboard/?access_token={Uri.EscapeDataString(fresh.GetProperty("token").GetString()!)}",
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task ARevokedShareLinkNoLongerOpensAnything()
    {
        var share = await fixture.PostJsonAsync($"/api/v1/projects/{fixture.ProjectQ}/shares", fixture.AliceCookie, null);
        var token = Uri.EscapeDataString(share.GetProperty("token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync($"/api/v1/projects/{fixture.ProjectQ}?share={token}")).StatusCode);
        // It reads its own project only.
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Http.GetAsync($"/api/v1/projects/{fixture.ProjectP}?share={token}")).StatusCode);
        using (var revoke = fixture.Request(HttpMethod.Delete, $"/api/v1/projects/{fixture.ProjectQ}/shares/{share.GetProperty("id").GetString()}", fixture.AliceCookie))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await fixture.Http.SendAsync(revoke)).StatusCode);
        }
        using var refused = await fixture.Http.GetAsync($"/api/v1/projects/{fixture.ProjectQ}?share={token}");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Invalid share link", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        Assert.Contains("share-invalid", await fixture.Http.GetStringAsync($"/s/{token}"));
    }

    [Fact]
    public async Task RepeatedWrongPasswordsLockTheAccount()
    {
        await fixture.PostJsonAsync("/api/v1/users", fixture.AdminCookie, new { user_name = "carol", password = AccessApp.Password, role = "member" });
        string? last = null;
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await fixture.Http.PostAsync("/auth/signin", Form("carol", "not the password"));
            last = wrong.Headers.Location?.ToString();
        }
        Assert.Contains("error=locked", last);
        using var right = await fixture.Http.PostAsync("/auth/signin", Form("carol", AccessApp.Password));
        Assert.Contains("error=locked", right.Headers.Location?.ToString());
    }

    [Fact]
    public async Task TheAuditTrailSaysWhoDidWhatAndOnlyAdminsReadIt()
    {
        var project = await fixture.CreateProjectAsync(fixture.BobCookie, "Bob's");
        // Edited before the run: a project is not edited while a stage runs (or is still stopping after a cancel).
        using (var edit = fixture.Request(HttpMethod.Patch, $"/api/v1/projects/{project}", fixture.BobCookie))
        {
            edit.Content = JsonContent.Create(new { aspect_ratio = "1:1" });
            Assert.Equal(HttpStatusCode.OK, (await fixture.Http.SendAsync(edit)).StatusCode);
        }
        await fixture.PostJsonAsync($"/api/v1/projects/{project}/shares", fixture.BobCookie, null);
        await fixture.PostJsonAsync($"/api/v1/projects/{project}/stages/rewrite/run", fixture.BobCookie, null);
        await fixture.PostJsonAsync($"/api/v1/projects/{project}/cancel", fixture.BobCookie, null);

        var entries = (await fixture.GetJsonAsync("/api/v1/audit", fixture.AdminCookie)).EnumerateArray()
            .Where(e => e.GetProperty("project_id").GetString() == project).Select(e => (e.GetProperty("user_name").GetString(), e.GetProperty("action").GetString())).ToList();
        foreach (var action in new[] { "create", "run", "cancel", "edit", "share" })
        {
            Assert.Contains(("bob", action), entries);
        }
        using var asBob = fixture.Request(HttpMethod.Get, "/api/v1/audit", fixture.BobCookie);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Http.SendAsync(asBob)).StatusCode);
    }

    [Fact]
    public async Task TheRunHistorySaysWhoStartedEachRunAndAPipelinesLaterStagesAreItsStarters()
    {
        var project = await fixture.CreateProjectAsync(fixture.AliceCookie, "Runs");
        await fixture.PostJsonAsync($"/api/v1/projects/{project}/pipeline/run", fixture.AliceCookie, null);
        // The storyboard was started by the pipeline, when the rewrite completed: no request of Alice's started it.
        await WaitForRunsAsync(project, runs => runs.Any(r => Stage(r) == "storyboard"));
        await fixture.PostJsonAsync($"/api/v1/projects/{project}/cancel", fixture.AliceCookie, null);
        await WaitIdleAsync(project);

        // The same user through her API key "ci", and the admin on her project with his cookie.
        using (var run = fixture.Request(HttpMethod.Post, $"/api/v1/projects/{project}/stages/rewrite/run?force=true", bearer: fixture.AliceKey))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await fixture.Http.SendAsync(run)).StatusCode);
        }
        await WaitForRunsAsync(project, runs => runs.Count(r => Stage(r) == "rewrite") == 2);
        await WaitIdleAsync(project);
        await fixture.PostJsonAsync($"/api/v1/projects/{project}/stages/storyboard/run?force=true", fixture.AdminCookie, null);
        var history = await WaitForRunsAsync(project, runs => runs.Count(r => Stage(r) == "storyboard") == 2);

        // Newest first.
        var byStage = history.Select(r => (Stage(r), r.GetProperty("started_by").GetString())).ToList();
        Assert.Equal(("storyboard", AccessApp.AdminName), byStage[0]);
        Assert.Equal(("rewrite", "alice/ci"), byStage[1]);
        Assert.Equal(("storyboard", "alice"), byStage.Last(r => r.Item1 == "storyboard"));
        Assert.Equal(("rewrite", "alice"), byStage.Last());
        Assert.All(byStage.Skip(2), r => Assert.Equal("alice", r.Item2));
    }

    private static string? Stage(JsonElement run) => run.GetProperty("stage").GetString();

    private async Task<List<JsonElement>> WaitForRunsAsync(string project, Func<List<JsonElement>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var runs = (await fixture.GetJsonAsync($"/api/v1/projects/{project}/runs", fixture.AliceCookie)).EnumerateArray().ToList();
            if (done(runs))
            {
                return runs;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the run history did not get there: {string.Join(", ", runs)}");
            await Task.Delay(100);
        }
    }

    private async Task WaitIdleAsync(string project)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        // Between two stages of a pipeline no stage is active, but the project is still running.
        static bool Busy(JsonElement p) => p.GetProperty("status").GetString() == "running"
            || p.GetProperty("stages").EnumerateArray().Any(s => s.GetProperty("status").GetString() is "queued" or "processing");
        while (Busy(await fixture.GetJsonAsync($"/api/v1/projects/{project}", fixture.AliceCookie)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the project's runs did not end");
            await Task.Delay(100);
        }
    }

    private static FormUrlEncodedContent Form(string user, string password) =>
        new(new Dictionary<string, string> { ["user_name"] = user, ["password"] = password });
}
