using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using StageStream.Core.Persistence;
using StageStream.Tests.Foundation;
using StageStream.Tests.Infrastructure;
using StageStream.Web.Components.Shared;

namespace StageStream.Tests.Storage;

/// <summary>
/// The data folder on a real disk that fills up or turns read-only (a small tmpfs): clear problems, an unhealthy
/// <c>/health</c>, nothing half-stored, and everything working again once the disk is fixed.
/// </summary>
public sealed class DiskFaultTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [TmpfsFact]
    public async Task AFullDiskAnswers507EverywhereHealthSaysSoAndNothingIsHalfStored()
    {
        using var disk = Tmpfs.Mount(megabytes: 16);
        var data = Path.Combine(disk.Path, "data");
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Storage:MinFreeMegabytes"] = "4" }, data);
        var projectId = await PipelineTests.CreateProjectAsync(app);
        await RunStageAsync(app, projectId, "rewrite");
        await RunStageAsync(app, projectId, "storyboard");
        var before = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal("Healthy", (await CheckAsync(app, "data_folder")).GetProperty("status").GetString());

        // The write-ahead log emptied first, so the next write needs new blocks of the disk, which has none left.
        await app.WithScopeAsync<StageStreamDbContext, int>(db => db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);"));
        var filler = disk.Fill();

        var refused = new List<HttpResponseMessage>
        {
            await app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "Too much", original_text = PipelineTests.Story }),
            await app.Client.PostAsync($"/api/v1/projects/{projectId}/stages/rewrite/run?force=true", null),
            await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run?force=true", null),
            await app.Client.PatchAsJsonAsync($"/api/v1/projects/{projectId}/shots/1", new { narration = "A new line." }),
        };
        foreach (var response in refused)
        {
            var what = $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri!.PathAndQuery}";
            Assert.True(response.StatusCode == HttpStatusCode.InsufficientStorage, $"{what} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(("Data folder full", 507), (problem.GetProperty("title").GetString(), problem.GetProperty("status").GetInt32()));
            Assert.Contains("is full, so nothing was stored", problem.GetProperty("detail").GetString());
            Assert.Contains("Free space", problem.GetProperty("detail").GetString());
        }

        // The pages call the same services in process: they get the same refusal to show, not a broken circuit.
        var pageRefusal = await Assert.ThrowsAsync<StorageFaultException>(() => app.Service<ProjectActions>().CreateAsync("Too much", PipelineTests.Story));
        Assert.True(pageRefusal.Full);
        Assert.Contains("is full, so nothing was stored", pageRefusal.Message);
        await Assert.ThrowsAsync<StorageFaultException>(() => app.Service<ProjectActions>().RunPipelineAsync(projectId, force: true));

        using var health = await app.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var dataCheck = await CheckAsync(app, "data_folder", "/health/ready");
        Assert.Equal("Unhealthy", dataCheck.GetProperty("status").GetString());
        Assert.Contains("Storage:DataPath", dataCheck.GetProperty("description").GetString());
        Assert.DoesNotContain(disk.Path, await health.Content.ReadAsStringAsync());

        // Nothing half-stored: reads still answer, and show the project exactly as before the refused writes.
        var projects = await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/projects");
        Assert.Equal([projectId], projects.EnumerateArray().Select(p => p.GetProperty("id").GetString()));
        var during = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        Assert.Equal(before.GetRawText(), during.GetRawText());

        File.Delete(filler);
        var healthy = await CheckAsync(app, "data_folder");
        Assert.Equal("Healthy", healthy.GetProperty("status").GetString());
        var second = await PipelineTests.CreateProjectAsync(app);
        await RunStageAsync(app, second, "rewrite");
        var edited = await app.Client.PatchAsJsonAsync($"/api/v1/projects/{projectId}/shots/1", new { narration = "A new line." });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        projects = await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/projects");
        Assert.Equal(2, projects.GetArrayLength());
        Assert.Empty(Directory.EnumerateFiles(data, "*" + DataFolder.PartialSuffix, SearchOption.AllDirectories));
    }

    [TmpfsFact]
    public async Task ADataFolderTurnedReadOnlyAnswers503NamingItAndRecovers()
    {
        using var disk = Tmpfs.Mount(megabytes: 16);
        var data = Path.Combine(disk.Path, "data");
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Storage:MinFreeMegabytes"] = "4" }, data);
        var projectId = await PipelineTests.CreateProjectAsync(app);

        // Idle pooled connections hold the database open for writing, and a mount with open writers cannot turn read-only.
        disk.RemountReadOnly(closeWriters: SqliteConnection.ClearAllPools);
        try
        {
            using var refused = await app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "Read-only", original_text = PipelineTests.Story });
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"Answered {(int)refused.StatusCode}: {await refused.Content.ReadAsStringAsync()}");
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Data folder not writable", problem.GetProperty("title").GetString());
            Assert.Contains($"'{data}' (Storage:DataPath)", problem.GetProperty("detail").GetString());

            var check = await CheckAsync(app, "data_folder");
            Assert.Equal("Unhealthy", check.GetProperty("status").GetString());
            Assert.Contains("read-only", check.GetProperty("description").GetString());
        }
        finally
        {
            disk.RemountWritable();
        }

        // As a readiness probe would, /health sees the folder writable again (and drops connections opened read-only).
        Assert.Equal("Healthy", (await CheckAsync(app, "data_folder")).GetProperty("status").GetString());
        using var created = await app.Client.PostAsJsonAsync("/api/v1/projects", new { name = "Writable again", original_text = PipelineTests.Story });
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"Answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        Assert.Equal(2, (await app.Client.GetFromJsonAsync<JsonElement>("/api/v1/projects")).GetArrayLength());
        Assert.Single((await app.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/projects"))!, p => p.GetProperty("id").GetString() == projectId);
    }

    [Fact]
    public async Task HealthReportsTooLittleFreeSpaceBelowTheConfiguredThreshold()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Storage:MinFreeMegabytes"] = int.MaxValue.ToString() });
        using var health = await app.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var check = await CheckAsync(app, "data_folder");
        Assert.Equal("Unhealthy", check.GetProperty("status").GetString());
        Assert.Contains($"below Storage:MinFreeMegabytes ({int.MaxValue} MB)", check.GetProperty("description").GetString());
        Assert.DoesNotContain(app.DataPath, await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HalfWrittenMediaOfAProjectAreRemovedWhenItsNextMediaRunStarts()
    {
        await using var app = await TestApp.StartAsync(PipelineTests.SmallFrames);
        var projectId = await PipelineTests.CreateProjectAsync(app);
        var other = await PipelineTests.CreateProjectAsync(app);
        await RunStageAsync(app, projectId, "rewrite");
        await RunStageAsync(app, projectId, "storyboard");
        var media = Path.Combine(app.DataPath, "media");
        var left = Path.Combine(media, projectId, "clip-001-0badc0de.mp4" + DataFolder.PartialSuffix);
        var othersPart = Path.Combine(media, other, "clip-001-0badc0de.mp4" + DataFolder.PartialSuffix);
        foreach (var part in new[] { left, othersPart })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(part)!);
            await File.WriteAllTextAsync(part, "half a clip");
        }

        await RunStageAsync(app, projectId, "image_generation");

        Assert.False(File.Exists(left), "The project's leftover .part file is still there.");
        // Another project's partial file may be one its own run is writing right now: left alone.
        Assert.True(File.Exists(othersPart));
        var images = Directory.EnumerateFiles(Path.Combine(media, projectId), "image-*").ToList();
        Assert.NotEmpty(images);
        Assert.All(images, image => Assert.EndsWith(".png", image));
    }

    private static async Task RunStageAsync(TestApp app, string projectId, string stage)
    {
        using var start = await app.Client.PostAsync($"/api/v1/projects/{projectId}/stages/{stage}/run", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var deadline = DateTime.UtcNow + Wait;
        string? status;
        do
        {
            await Task.Delay(100);
            var project = await app.Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
            status = project.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("stage").GetString() == stage).GetProperty("status").GetString();
        }
        while (status is not ("completed" or "failed" or "cancelled") && DateTime.UtcNow < deadline);
        Assert.Equal("completed", status);
    }

    private static async Task<JsonElement> CheckAsync(TestApp app, string name, string path = "/health")
    {
        using var response = await app.Client.GetAsync(path);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        return report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
    }
}
