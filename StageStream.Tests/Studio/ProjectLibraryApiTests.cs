using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;
using StageStream.Tests.Infrastructure;
using StageStream.Web.Components.Shared;
using Xunit.Abstractions;

namespace StageStream.Tests.Studio;

/// <summary>Managing projects through the REST API, on the real app: what each route does to the data, the media and the answers.</summary>
[Collection(StudioTimedCollection.Name)]
public sealed class ProjectLibraryApiTests(TimedStudioApp studio, ITestOutputHelper output)
{
    private HttpClient Client => studio.App.Client;

    [Fact]
    public async Task DownloadsTheFilmTheSubtitlesAndAZipOfFramesAndClipsAsAttachments()
    {
        var film = await Client.GetAsync($"/api/v1/projects/{studio.DoneId}/download/film");
        Assert.Equal(HttpStatusCode.OK, film.StatusCode);
        Assert.Equal("video/mp4", film.Content.Headers.ContentType?.MediaType);
        Assert.Equal("灯塔.mp4", film.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("ftyp"u8.ToArray(), (await film.Content.ReadAsByteArrayAsync())[4..8]);

        var srt = await Client.GetStringAsync($"/api/v1/projects/{studio.DoneId}/download/subtitles.srt");
        Assert.StartsWith("1\n00:00:", srt.Replace("\r", "", StringComparison.Ordinal));

        var zip = await Client.GetAsync($"/api/v1/projects/{studio.DoneId}/download/media.zip");
        Assert.Equal("application/zip", zip.Content.Headers.ContentType?.MediaType);
        using var archive = new ZipArchive(new MemoryStream(await zip.Content.ReadAsByteArrayAsync()));
        var shots = (await studio.GetAsync(studio.DoneId)).GetProperty("shots").GetArrayLength();
        Assert.Equal(shots, archive.Entries.Count(e => e.Name.EndsWith(".png", StringComparison.Ordinal)));
        Assert.Equal(shots, archive.Entries.Count(e => e.Name.EndsWith(".mp4", StringComparison.Ordinal)));

        await AssertProblemAsync(await Client.GetAsync($"/api/v1/projects/{studio.DoneId}/download/everything"), HttpStatusCode.NotFound);
        var fresh = await studio.CreateAsync("Nothing yet");
        await AssertProblemAsync(await Client.GetAsync($"/api/v1/projects/{fresh}/download/film"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await Client.GetAsync($"/api/v1/projects/{fresh}/download/media.zip"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task RenamesAndRefusesAnEmptyName()
    {
        var id = await studio.CreateAsync("Before");
        var renamed = await Client.PostAsJsonAsync($"/api/v1/projects/{id}/rename", new { name = "  After  " });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("After", (await studio.GetAsync(id)).GetProperty("name").GetString());
        await AssertProblemAsync(await Client.PostAsJsonAsync($"/api/v1/projects/{id}/rename", new { name = " " }), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await Client.PostAsJsonAsync($"/api/v1/projects/{id}/rename", new { name = new string('x', 201) }), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await Client.PostAsJsonAsync("/api/v1/projects/nope/rename", new { name = "x" }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DuplicatesTheStoryAndStoryboardButNoMedia()
    {
        var response = await Client.PostAsJsonAsync($"/api/v1/projects/{studio.DoneId}/duplicate", new { name = "灯塔 again" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var copy = await response.Content.ReadFromJsonAsync<JsonElement>();
        var source = await studio.GetAsync(studio.DoneId);
        Assert.NotEqual(source.GetProperty("id").GetString(), copy.GetProperty("id").GetString());
        Assert.Equal("灯塔 again", copy.GetProperty("name").GetString());
        Assert.Equal(source.GetProperty("original_text").GetString(), copy.GetProperty("original_text").GetString());
        Assert.Equal(source.GetProperty("rewritten_text").GetString(), copy.GetProperty("rewritten_text").GetString());
        Assert.Equal(
            source.GetProperty("shots").EnumerateArray().Select(s => s.GetProperty("narration").GetString()),
            copy.GetProperty("shots").EnumerateArray().Select(s => s.GetProperty("narration").GetString()));
        Assert.All(copy.GetProperty("shots").EnumerateArray(), s => Assert.Equal(JsonValueKind.Null, s.GetProperty("image_url").ValueKind));
        Assert.Equal(JsonValueKind.Null, copy.GetProperty("final_video_url").ValueKind);
        Assert.Equal(["completed", "completed", "pending", "pending", "pending"],
            copy.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("status").GetString()));
        Assert.False(Directory.Exists(Path.Combine(studio.App.DataPath, "media", copy.GetProperty("id").GetString()!)));
        await AssertProblemAsync(await Client.PostAsJsonAsync("/api/v1/projects/nope/duplicate", new { }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DeletesAProjectWithItsMediaRunsAndEventsButNotWhileItRuns()
    {
        var id = await studio.CreateAsync("To delete", "A fox ran home. The moon rose over the hill.");
        await studio.RunToEndAsync(id);
        var media = Path.Combine(studio.App.DataPath, "media", id);
        Assert.NotEmpty(Directory.GetFiles(media));
        Assert.True(await CountAsync(db => db.Events.CountAsync(e => e.ProjectId == id)) > 0);

        // Running: refused, and nothing is gone.
        var run = await Client.PostAsync($"/api/v1/projects/{id}/pipeline/run?force=true", null);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        await AssertProblemAsync(await Client.DeleteAsync($"/api/v1/projects/{id}"), HttpStatusCode.Conflict);
        Assert.NotEmpty(Directory.GetFiles(media));
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsync($"/api/v1/projects/{id}/cancel", null)).StatusCode);
        await studio.WaitForStatusAsync(id, "cancelled");

        var deleted = await Client.DeleteAsync($"/api/v1/projects/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.False(Directory.Exists(media));
        Assert.Equal(0, await CountAsync(db => db.Events.CountAsync(e => e.ProjectId == id)));
        Assert.Equal(0, await CountAsync(db => db.StageRuns.CountAsync(r => r.ProjectId == id)));
        Assert.Equal(0, await CountAsync(db => db.Stages.CountAsync(r => r.ProjectId == id)));
        await AssertProblemAsync(await Client.GetAsync($"/api/v1/projects/{id}"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await Client.DeleteAsync($"/api/v1/projects/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TheRunHistoryHasEachStageRunWithItsTimes()
    {
        var runs = await Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{studio.DoneId}/runs");
        var first = runs.EnumerateArray().Where(r => r.GetProperty("attempt").GetInt32() == 1).ToList();
        Assert.Equal(["rewrite", "storyboard", "image_generation", "camera_movement", "video_generation"],
            first.OrderBy(r => r.GetProperty("started_at").GetDateTimeOffset()).Select(r => r.GetProperty("stage").GetString()).Distinct().Take(5));
        Assert.All(first, r =>
        {
            Assert.Equal("completed", r.GetProperty("status").GetString());
            // Without accounts (Auth:Mode=none) nobody is named.
            Assert.Equal(JsonValueKind.Null, r.GetProperty("started_by").ValueKind);
            var duration = r.GetProperty("duration_seconds").GetDouble();
            Assert.InRange(duration, 0, 120);
            Assert.InRange((r.GetProperty("finished_at").GetDateTimeOffset() - r.GetProperty("started_at").GetDateTimeOffset()).TotalSeconds - duration, -0.002, 0.002);
        });
        await AssertProblemAsync(await Client.GetAsync("/api/v1/projects/nope/runs"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SearchFilterAndPagingStayFastWithTenThousandProjects()
    {
        await SeedAsync(10_000);
        // Once untimed, so the times below are of the queries, not of compiling them on first use.
        (await Client.GetAsync("/api/v1/projects?page=2&page_size=25")).EnsureSuccessStatusCode();
        (await Client.GetAsync("/api/v1/projects?q=SEED-0041&status=failed&page_size=10")).EnsureSuccessStatusCode();
        var watch = Stopwatch.StartNew();
        var page = await Client.GetAsync("/api/v1/projects?page=37&page_size=25");
        var firstMs = watch.ElapsedMilliseconds;
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.True(int.Parse(page.Headers.GetValues("X-Total-Count").Single()) >= 10_000);
        Assert.Equal(25, (await page.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength());

        watch.Restart();
        var found = await Client.GetAsync("/api/v1/projects?q=SEED-0042&status=failed&page_size=10");
        var searchMs = watch.ElapsedMilliseconds;
        var items = await found.Content.ReadFromJsonAsync<JsonElement>();
        // SEED-00420..00429 and SEED-0042; failed are those with an index divisible by 5.
        Assert.Equal(["Seed-00425", "Seed-00420"], items.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal("2", found.Headers.GetValues("X-Total-Count").Single());
        output.WriteLine($"page 37 of 10,000+: {firstMs} ms; search and filter: {searchMs} ms");
        Assert.True(firstMs < 1000 && searchMs < 1000, $"paging took {firstMs} ms, search {searchMs} ms");

        await AssertProblemAsync(await Client.GetAsync("/api/v1/projects?status=sleeping"), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await Client.GetAsync("/api/v1/projects?page=0"), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await Client.GetAsync("/api/v1/projects?page_size=501"), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await Client.GetAsync("/api/v1/projects?page=x"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task TheTimeLeftEstimateOfASecondRunIsWithinThirtyPercent()
    {
        // The app's very first run is slower (code compiled as it first runs): two warm runs more, so that the median
        // the estimate takes is a warm run's, then the one measured.
        await studio.RunToEndAsync(studio.DoneId, force: true);
        await studio.RunToEndAsync(studio.DoneId, force: true);
        var run = await Client.PostAsync($"/api/v1/projects/{studio.DoneId}/pipeline/run?force=true", null);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        var watch = Stopwatch.StartNew();
        var estimate = await Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{studio.DoneId}/estimate");
        var predicted = estimate.GetProperty("remaining_seconds").GetDouble();
        await studio.WaitForStatusAsync(studio.DoneId, "completed");
        var real = watch.Elapsed.TotalSeconds;
        output.WriteLine($"first run {studio.FirstRun.TotalSeconds:0.0} s; second run: estimated {predicted:0.0} s, took {real:0.0} s");
        // Each stage's run (newest first) and the gap before it, to tell a slow stage from a slow hand-over.
        var runs = (await Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{studio.DoneId}/runs")).EnumerateArray().Take(15).Reverse().ToList();
        foreach (var (previous, current) in runs.Zip(runs.Skip(1)))
        {
            var gap = current.GetProperty("started_at").GetDateTimeOffset() - previous.GetProperty("finished_at").GetDateTimeOffset();
            output.WriteLine($"{current.GetProperty("stage").GetString(),-16} {current.GetProperty("duration_seconds").GetDouble(),6:0.00} s after {gap.TotalSeconds:0.00} s");
        }
        Assert.InRange(predicted, real * 0.7, real * 1.3);
        var done = await Client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{studio.DoneId}/estimate");
        Assert.Equal(0, done.GetProperty("remaining_seconds").GetDouble());
    }

    [Fact]
    public async Task PagesForErrorsSpeakTheReadersLanguageAndTheApiKeepsProblemJson()
    {
        var missing = await GetPageAsync("/no/such/page", "en-US");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("text/html", missing.Content.Headers.ContentType?.MediaType);
        var html = await missing.Content.ReadAsStringAsync();
        Assert.Contains("Page not found", html);
        Assert.Contains("href=\"/\"", html);

        var chinese = WebUtility.HtmlDecode(await (await GetPageAsync("/no/such/page", "zh-CN,zh;q=0.9")).Content.ReadAsStringAsync());
        Assert.Contains("页面不存在", chinese);
        Assert.Contains("返回项目列表", chinese);

        var project = await (await GetPageAsync("/projects/nope", "en-US")).Content.ReadAsStringAsync();
        Assert.Contains("Project not found", project);

        await AssertProblemAsync(await Client.GetAsync("/api/v1/no-such-route"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await Client.GetAsync("/media/nope/none.png"), HttpStatusCode.NotFound);

        // A page that fails on the server: the error page, in the reader's language, never a stack trace or JSON.
        await using var broken = await TestApp.StartAsync(StudioApp.Settings, configure: builder => builder.Services.AddSingleton(sp =>
            new ProjectActions(new FailingScopes(), sp.GetRequiredService<IOptions<StorageOptions>>())));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/projects/anything");
        request.Headers.Add("Accept", "text/html");
        request.Headers.Add("Accept-Language", "zh-CN");
        var failed = await broken.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("text/html", failed.Content.Headers.ContentType?.MediaType);
        var page = WebUtility.HtmlDecode(await failed.Content.ReadAsStringAsync());
        Assert.Contains("服务器错误", page);
        Assert.Contains("返回项目列表", page);
        Assert.DoesNotContain("The database is gone", page);
    }

    private async Task<HttpResponseMessage> GetPageAsync(string path, string language)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Accept", "text/html");
        request.Headers.Add("Accept-Language", language);
        return await Client.SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
    }

    private Task<int> CountAsync(Func<StageStreamDbContext, Task<int>> count) => studio.App.WithScopeAsync(count);

    /// <summary>Projects named Seed-00000..., made long ago (so they sort after the others); every fifth one failed.</summary>
    private async Task SeedAsync(int count)
    {
        await studio.App.WithScopeAsync<StageStreamDbContext, int>(async db =>
        {
            if (await db.Projects.AnyAsync(p => p.Name == "Seed-00000"))
            {
                return 0;
            }
            // One statement: times in the database's own form (DateTimeOffsetToBinaryConverter), a minute apart.
            var converter = new Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter();
            var start = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
            long At(int minutes) => (long)converter.ConvertToProvider(start.AddMinutes(minutes))!;
            var step = At(1) - At(0);
            Assert.Equal(At(0) + 7 * step, At(7));
            var sql = $"""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {count - 1})
                INSERT INTO Projects (Id, Name, OriginalText, Status, CreatedAt, UpdatedAt, AspectRatio, BurnSubtitles, CancelRequested, PipelineForce)
                SELECT printf('seed%08d', i), printf('Seed-%05d', i), 'A seeded story.', CASE WHEN i % 5 = 0 THEN 'Failed' ELSE 'Draft' END,
                       {At(0)} + i * {step}, {At(0)} + i * {step}, '16:9', 0, 0, 0 FROM n
                """;
            return await db.Database.ExecuteSqlRawAsync(sql);
        });
    }

    private sealed class FailingScopes : IServiceScopeFactory
    {
        public IServiceScope CreateScope() => throw new InvalidOperationException("The database is gone");
    }
}
