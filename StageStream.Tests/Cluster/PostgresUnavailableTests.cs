using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Cluster;

/// <summary>PostgreSQL going away under a running instance, and an instance started without it.</summary>
public sealed class PostgresUnavailableTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private void Mark(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds:0.0} s {what}");

    private readonly TempFolder _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task WritesAnswer503WhileThePostgresServerIsGoneAndStartingWithoutItFailsWithOneLine()
    {
        var postgres = await PostgresServer.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("stagestream");
        Mark("postgres");
        // A child process, killed at the end: a graceful stop with PostgreSQL gone is GracefulStopTests' to check.
        await using (var app = await AppProcess.StartAsync(_data.Path, new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString }))
        {
            Mark("app");
            var created = await app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "Before", original_text = "A fox found a lantern." });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

            await postgres.DisposeAsync();
            Mark("postgres stopped");
            var refused = await app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "After", original_text = "A fox lost a lantern." });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("PostgreSQL", problem.GetProperty("detail").GetString());

            using var health = await app.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Mark("checked");
        }
        Mark("app stopped");

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            AppProcess.StartAsync(_data.Path, new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString }));
        Assert.Contains("The app exited with 69", failed.Message);
        Assert.Contains("StageStream cannot start: the PostgreSQL database (ConnectionStrings:Postgres) cannot be used", failed.Message);
    }
}
