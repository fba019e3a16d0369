using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Foundation;

/// <summary>Every bad input of the REST API gets its 4xx with a problem+json body, and nothing stored changes.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private TestApp _app = null!;
    private string _projectId = null!;
    private string _snapshot = null!;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync();
        var created = await _app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "Keep me", original_text = "A fox runs. The moon rises." });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        _projectId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        _snapshot = await StoredProjectAsync();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    public static TheoryData<string, int, string> BadCreates => new()
    {
        { """{"original_text":"text"}""", 400, "name" },
        { """{"name":"   ","original_text":"text"}""", 400, "name" },
        { """{"name":"n"}""", 400, "original_text" },
        { """{"name":"n","original_text":""}""", 400, "original_text" },
        { """{"name":"n","original_text":""" , 400, "JSON" },
        { "not json at all", 400, "JSON" },
        { $$"""{"name":"n","original_text":"{{new string('x', 100_001)}}"}""", 413, "100,000" },
        { """{"name":"n","original_text":"t","aspect_ratio":"4:3"}""", 400, "16:9, 9:16, 1:1" },
        { """{"name":"n","original_text":"t","target_seconds":60,"target_shots":5}""", 400, "not both" },
        { """{"name":"n","original_text":"t","target_seconds":2}""", 400, "target_seconds" },
        { """{"name":"n","original_text":"t","target_shots":201}""", 400, "target_shots" },
        { """{"name":"n","original_text":"t","target_shots":"many"}""", 400, "JSON" },
        { $$"""{"name":"n","original_text":"t","voice":"{{new string('v', 101)}}"}""", 400, "voice" },
    };

    public static TheoryData<string, string> BadUpdates => new()
    {
        { """{"aspect_ratio":"21:9"}""", "aspect_ratio" },
        { """{"target_shots":-1}""", "target_shots" },
        { """{"target_seconds":99999}""", "target_seconds" },
    };

    [Theory]
    [MemberData(nameof(BadUpdates))]
    public async Task UpdateRejectsBadSettingsWithProblemDetails(string body, string mentions)
    {
        var response = await _app.Client.PatchAsync($"/api/v1/projects/{_projectId}", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, 400, mentions);
        Assert.Equal(_snapshot, await StoredProjectAsync());
    }

    [Fact]
    public async Task SettingsAreStoredAndShownAndATargetOfZeroRemovesIt()
    {
        var created = await _app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "s", original_text = "t", aspect_ratio = "9:16", target_shots = 6, voice = "en-gb" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var updated = await _app.Client.PatchAsJsonAsync($"/api/v1/projects/{id}", new { aspect_ratio = "1:1", target_seconds = 45, burn_subtitles = true });
        var project = await updated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("1:1", 45, JsonValueKind.Null, true, "en-gb"), (project.GetProperty("aspect_ratio").GetString(), project.GetProperty("target_seconds").GetInt32(),
            project.GetProperty("target_shots").ValueKind, project.GetProperty("burn_subtitles").GetBoolean(), project.GetProperty("voice").GetString()));
        var cleared = await (await _app.Client.PatchAsJsonAsync($"/api/v1/projects/{id}", new { target_seconds = 0, voice = "" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("target_seconds").ValueKind);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("voice").ValueKind);
    }

    [Fact]
    public async Task MusicMustComeAsAMultipartFileOfAnAudioType()
    {
        await AssertProblemAsync(await _app.Client.PostAsync($"/api/v1/projects/{_projectId}/music", new StringContent("x")), 400, "multipart");
        using var form = new MultipartFormDataContent { { new ByteArrayContent("not audio"u8.ToArray()), "file", "notes.txt" } };
        await AssertProblemAsync(await _app.Client.PostAsync($"/api/v1/projects/{_projectId}/music", form), 400, "mp3");
        Assert.Equal(_snapshot, await StoredProjectAsync());
    }

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task CreateRejectsBadInputWithProblemDetails(string body, int status, string mentions)
    {
        var response = await _app.Client.PostAsync("/api/v1/projects", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, status, mentions);
        var list = await _app.Client.GetFromJsonAsync<JsonElement>("/api/v1/projects");
        Assert.Equal(1, list.GetArrayLength());
    }

    [Fact]
    public async Task UnknownProjectIs404()
    {
        await AssertProblemAsync(await _app.Client.GetAsync("/api/v1/projects/nope"), 404, "nope");
        await AssertProblemAsync(await _app.Client.PostAsync("/api/v1/projects/nope/pipeline/run", null), 404, "nope");
        await AssertProblemAsync(await _app.Client.PostAsync("/api/v1/projects/nope/cancel", null), 404, "nope");
    }

    [Fact]
    public async Task UnknownStageIs404NamingTheValidStages()
    {
        var response = await _app.Client.PostAsync($"/api/v1/projects/{_projectId}/stages/dance/run", null);

        var problem = await AssertProblemAsync(response, 404, "dance");
        foreach (var stage in new[] { "rewrite", "storyboard", "image_generation", "camera_movement", "video_generation" })
        {
            Assert.Contains(stage, problem);
        }
        Assert.Equal(_snapshot, await StoredProjectAsync());
    }

    [Theory]
    [InlineData("storyboard", "rewrite")]
    [InlineData("image_generation", "storyboard")]
    [InlineData("camera_movement", "storyboard")]
    [InlineData("video_generation", "storyboard")]
    public async Task StageWithoutItsInputIs409NamingTheStageToRunFirst(string stage, string first)
    {
        var response = await _app.Client.PostAsync($"/api/v1/projects/{_projectId}/stages/{stage}/run", null);

        await AssertProblemAsync(response, 409, $"'{first}'");
        Assert.Equal(_snapshot, await StoredProjectAsync());
    }

    [Fact]
    public async Task EditingAMissingShotIs404AndAnEmptyEditIs400()
    {
        await AssertProblemAsync(await _app.Client.PatchAsJsonAsync($"/api/v1/projects/{_projectId}/shots/1", new { narration = "x" }), 404, "shot 1");
        Assert.Equal(_snapshot, await StoredProjectAsync());
    }

    private async Task<string> StoredProjectAsync()
    {
        var project = await _app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{_projectId}");
        return project.GetRawText();
    }

    internal static async Task<string> AssertProblemAsync(HttpResponseMessage response, int status, string mentions)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(mentions, detail, StringComparison.OrdinalIgnoreCase);
        return detail;
    }
}
