using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Streaming;

/// <summary>Refusals as problem+json, and the CORS headers and preflight answers of the streams.</summary>
public sealed class SseErrorAndCorsTests
{
    [Theory]
    [InlineData("/api/v1/sse/projects/no-such-project/stages/rewrite/")]
    [InlineData("/api/v1/sse/projects/no-such-project/")]
    [InlineData("/api/v1/projects/sse/projects/no-such-project/stages/rewrite")]
    [InlineData("/api/v1/projects/sse/projects/no-such-project")]
    public async Task UnknownProjectIs404Problem(string path)
    {
        await using var app = await TestApp.StartAsync();
        // As an EventSource asks: Accept: text/event-stream.
        using var response = await SseClient.SendAsync(app.BaseAddress, path, null, app.Client);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Contains("no-such-project", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/api/v1/sse/projects/{0}/stages/music/")]
    [InlineData("/api/v1/projects/sse/projects/{0}/stages/music")]
    public async Task UnknownStageIs404ProblemNamingTheFiveStages(string pathFormat)
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        using var response = await SseClient.SendAsync(app.BaseAddress, string.Format(pathFormat, projectId), null, app.Client);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
        Assert.Contains("music", detail);
        foreach (var stage in new[] { "rewrite", "storyboard", "image_generation", "camera_movement", "video_generation" })
        {
            Assert.Contains(stage, detail);
        }
        // Cross-origin pages can read the refusal too.
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Fact]
    public async Task MalformedLastEventIdIs400Problem()
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        using var response = await SseClient.SendAsync(app.BaseAddress, $"/api/v1/sse/projects/{projectId}/", "abc", app.Client);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Last-Event-ID", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("/api/v1/sse/projects/{0}/stages/rewrite/")]
    [InlineData("/api/v1/projects/sse/projects/{0}/")]
    public async Task PreflightIsAnsweredWithTheStreamsCorsHeaders(string pathFormat)
    {
        await using var app = await TestApp.StartAsync();
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        using var request = new HttpRequestMessage(HttpMethod.Options, string.Format(pathFormat, projectId));
        request.Headers.Add("Origin", "http://localhost:3000");
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "last-event-id");
        using var response = await app.Client.SendAsync(request);

        Assert.True(response.IsSuccessStatusCode, $"Preflight answered {(int)response.StatusCode}");
        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal("GET", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Methods")));
        Assert.Equal("Content-Type, Last-Event-ID", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Headers")));
    }

    [Fact]
    public async Task ConfiguredOriginsAreEchoedAndOthersGetNoAllowOrigin()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Cors:AllowedOrigins"] = "https://studio.example, https://preview.example",
        });
        var projectId = await StreamTestSupport.CreateProjectAsync(app.Client);
        var path = $"/api/v1/sse/projects/{projectId}/stages/rewrite/";

        await using (var allowed = await SseClient.OpenAsync(app.BaseAddress, path, configure: r => r.Headers.Add("Origin", "https://preview.example")))
        {
            Assert.Equal("https://preview.example", Assert.Single(allowed.Response.Headers.GetValues("Access-Control-Allow-Origin")));
            Assert.Contains("Origin", allowed.Response.Headers.Vary);
            Assert.Equal("connected", (await allowed.ReadMessageAsync()).Type);
        }
        await using (var other = await SseClient.OpenAsync(app.BaseAddress, path, configure: r => r.Headers.Add("Origin", "https://evil.example")))
        {
            Assert.False(other.Response.Headers.Contains("Access-Control-Allow-Origin"));
            Assert.Equal("GET", Assert.Single(other.Response.Headers.GetValues("Access-Control-Allow-Methods")));
        }

        using var preflight = new HttpRequestMessage(HttpMethod.Options, path);
        preflight.Headers.Add("Origin", "https://studio.example");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        using var response = await app.Client.SendAsync(preflight);
        Assert.Equal("https://studio.example", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }
}
