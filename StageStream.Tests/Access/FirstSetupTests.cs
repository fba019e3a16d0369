using System.Net;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Access;

/// <summary>A fresh install with accounts: the first visitor becomes the owner, and only one of several at once.</summary>
public sealed class FirstSetupTests
{
    [Fact]
    public async Task OfSeveralFirstVisitorsAtOnceExactlyOneBecomesTheOwner()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Auth:Mode"] = "accounts", ["RateLimits:Enabled"] = "false" });
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };

        var answers = await Task.WhenAll(Enumerable.Range(1, 6).Select(async i =>
        {
            using var response = await http.PostAsync("/auth/setup", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["user_name"] = $"first{i}",
                ["password"] = AccessApp.Password,
            }));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            return response.Headers.Location!.OriginalString;
        }));

        Assert.Single(answers, location => location == "/");
        Assert.All(answers.Where(location => location != "/"), location => Assert.StartsWith("/account/setup?error=", location));
    }
}
