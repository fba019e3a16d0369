using System.Text.Json;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Foundation;

public sealed class OpenApiTests
{
    [Fact]
    public async Task OpenApiDocumentDescribesTheProjectEndpoints()
    {
        await using var app = await TestApp.StartAsync();

        var document = JsonDocument.Parse(await app.Client.GetStringAsync("/openapi/v1.json")).RootElement;

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/projects", out var projects));
        Assert.True(projects.TryGetProperty("post", out _));
        Assert.True(paths.TryGetProperty("/api/v1/projects/{id}/stages/{stage}/run", out _));
        Assert.True(paths.TryGetProperty("/api/v1/projects/{id}/pipeline/run", out _));
    }
}
