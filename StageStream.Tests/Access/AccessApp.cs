using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using StageStream.Tests.Infrastructure;
using StageStream.Web.Access;

namespace StageStream.Tests.Access;

/// <summary>
/// The real app with accounts on (<c>Auth:Mode=accounts</c>), set up as a first visitor would (the owner, an admin), with
/// two members: alice owns projects P and Q, bob owns none. Everything the access tests send their requests with is made
/// through the app's own endpoints: cookies from its sign-in form, keys and tokens from its API.
/// </summary>
public class AccessApp : IAsyncLifetime
{
    public const string AdminName = "owner";
    public const string Password = "correct horse battery";

    public TestApp App { get; private set; } = null!;

    /// <summary>No cookie jar and no redirects: each request carries exactly the credentials a test gives it.</summary>
    public HttpClient Http { get; private set; } = null!;

    public string AdminCookie { get; private set; } = "";
    public string AliceCookie { get; private set; } = "";
    public string BobCookie { get; private set; } = "";
    public string AliceId { get; private set; } = "";
    public string ProjectP { get; private set; } = "";
    public string ProjectQ { get; private set; } = "";
    public string AliceKey { get; private set; } = "";
    public string RevokedKey { get; private set; } = "";
    public string ShareToken { get; private set; } = "";
    public string TokenForQ { get; private set; } = "";
    public string ExpiredTokenForP { get; private set; } = "";

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:Mode"] = "accounts",
        ["RateLimits:Enabled"] = "false",
    };

    public virtual async Task InitializeAsync()
    {
        App = await TestApp.StartAsync(Settings);
        Http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = App.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        AdminCookie = await PostFormForCookieAsync("/auth/setup", AdminName, Password);
        await AddUserAsync("alice", "member");
        await AddUserAsync("bob", "member");
        AliceCookie = await SignInAsync("alice");
        BobCookie = await SignInAsync("bob");
        AliceId = (await GetJsonAsync("/api/v1/users", AdminCookie)).EnumerateArray().First(u => u.GetProperty("user_name").GetString() == "alice").GetProperty("id").GetString()!;

        ProjectP = await CreateProjectAsync(AliceCookie, "P");
        ProjectQ = await CreateProjectAsync(AliceCookie, "Q");
        AliceKey = (await PostJsonAsync("/api/v1/keys", AliceCookie, new { name = "ci" })).GetProperty("key").GetString()!;
        var revoked = await PostJsonAsync("/api/v1/keys", AliceCookie, new { name = "old" });
        RevokedKey = revoked.GetProperty("key").GetString()!;
        using (var revoke = Request(HttpMethod.Delete, $"/api/v1/keys/{revoked.GetProperty("id").GetString()}", AliceCookie))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await Http.SendAsync(revoke)).StatusCode);
        }
        ShareToken = (await PostJsonAsync($"/api/v1/projects/{ProjectP}/shares", AliceCookie, null)).GetProperty("token").GetString()!;
        TokenForQ = (await PostJsonAsync($"/api/v1/projects/{ProjectQ}/stream-tokens", AliceCookie, null)).GetProperty("token").GetString()!;
        // Made with the app's own Data Protection keys, by a clock an hour behind: a genuine token that has expired.
        var past = new ShiftedClock(TimeSpan.FromHours(-1));
        ExpiredTokenForP = new StreamTokens(App.Service<IDataProtectionProvider>(), App.Service<IOptions<AuthOptions>>(), past).Issue(AliceId, ProjectP, null).Token;

        // A media file of P, as a stage would have written it.
        var folder = Directory.CreateDirectory(Path.Combine(App.DataPath, "media", ProjectP));
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "probe.txt"), "frame");
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string? cookie = null, string? bearer = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }
        return request;
    }

    public async Task<string> SignInAsync(string user) => await PostFormForCookieAsync("/auth/signin", user, Password);

    public async Task<string> CreateProjectAsync(string cookie, string name)
    {
        var project = await PostJsonAsync("/api/v1/projects", cookie, new { name, original_text = "A keeper lights the lamp every night. One night a ship comes." });
        return project.GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> GetJsonAsync(string path, string cookie)
    {
        using var request = Request(HttpMethod.Get, path, cookie);
        using var response = await Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<JsonElement> PostJsonAsync(string path, string cookie, object? body)
    {
        using var request = Request(HttpMethod.Post, path, cookie);
        request.Content = body is null ? null : JsonContent.Create(body);
        using var response = await Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task AddUserAsync(string name, string role) =>
        await PostJsonAsync("/api/v1/users", AdminCookie, new { user_name = name, password = Password, role });

    /// <summary>Posts an account form and returns the sign-in cookie it sets.</summary>
    private async Task<string> PostFormForCookieAsync(string path, string user, string password)
    {
        using var response = await Http.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string> { ["user_name"] = user, ["password"] = password }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.ToString());
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("StageStream.Auth=", StringComparison.Ordinal));
        return cookie.Split(';')[0];
    }

    public virtual async Task DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
    }

    internal sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + shift;
    }
}
