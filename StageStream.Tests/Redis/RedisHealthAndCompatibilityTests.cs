using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StackExchange.Redis;
using StageStream.Core.Events;
using StageStream.Core.Events.Log;
using StageStream.Core.Projects;
using StageStream.Tests.Infrastructure;
using StageStream.Web.Streaming.Redis;
using static StageStream.Tests.Redis.RedisTestSupport;

namespace StageStream.Tests.Redis;

/// <summary>/health, starting without Redis, the old system's channels, and retention in the stream.</summary>
public sealed class RedisHealthAndCompatibilityTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AppStartsWithRedisUnreachableSaysSoOnHealthAndWritesItsEventsWhenRedisArrives()
    {
        var port = FreePorts.Next();
        using var data = new TempFolder();
        var tokens = Tokens(120);
        await using var app = await StartInstanceAsync(RedisServer.ConnectionStringFor(port), data.Path, tokens, TimeSpan.Zero);

        var (status, health) = await HealthAsync(app.Client, "/health");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Degraded", health.GetProperty("status").GetString());
        var redisCheck = Check(health, "redis");
        Assert.Equal("Degraded", redisCheck.GetProperty("status").GetString());
        Assert.Contains("unavailable", redisCheck.GetProperty("description").GetString());
        Assert.Equal("Healthy", Check(health, "database").GetProperty("status").GetString());
        Assert.Equal("Healthy", Check(health, "scheduler").GetProperty("status").GetString());
        Assert.Equal("Degraded", Check((await HealthAsync(app.Client, "/health/ready")).Body, "redis").GetProperty("status").GetString());
        var live = (await HealthAsync(app.Client, "/health/live")).Body;
        Assert.Equal("Healthy", live.GetProperty("status").GetString());
        Assert.DoesNotContain(live.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "redis");

        // It serves and runs stages meanwhile, holding the run's events.
        var projectId = await CreateProjectAsync(app.Client);
        await RunStageAsync(app.Client, projectId, StageNames.Rewrite);
        await WaitUntilAsync(async () => await RewrittenTextAsync(app.Client, projectId) is not null, Timeout, "the rewrite is stored");
        var transport = app.Service<RedisEventTransport>();
        Assert.True(transport.BufferedCount > tokens.Count, $"{transport.BufferedCount} events buffered");
        Assert.Contains("buffered", Check((await HealthAsync(app.Client, "/health")).Body, "redis").GetProperty("description").GetString());

        // Redis arrives: the events are written, in order, and health turns green.
        await using var redis = await RedisServer.StartAsync(port);
        await WaitUntilAsync(() => Task.FromResult(transport.BufferedCount == 0), Timeout, "the buffered events are written");
        await WaitUntilAsync(async () => (await HealthAsync(app.Client, "/health")).Body.GetProperty("status").GetString() == "Healthy", Timeout, "/health is Healthy");
        Assert.Equal("Healthy", Check((await HealthAsync(app.Client, "/health")).Body, "redis").GetProperty("status").GetString());
        Assert.Equal(0, transport.DroppedCount);

        await using var subscription = await app.Service<IEventSubscriptions>().SubscribeAsync(projectId, StageNames.Rewrite, null, CancellationToken.None);
        var replayed = await ReadAsync(subscription, Timeout);
        AssertIncreasingIds(replayed);
        Assert.Equal(EventTypes.Done, replayed[^1].Type);
        Assert.Equal(string.Concat(tokens), replayed.Last(e => e.Type == EventTypes.Token).FullText);
        // The stream also holds the stage_completed after done, which only the all-stages stream carries.
        Assert.Equal(replayed.Count + 1, await redis.IntegerAsync("XLEN", transport.Keys.Stream(projectId)));

    }

    [Fact]
    public async Task HealthReportsDatabaseDataFolderRedisSchedulerAndFfmpeg()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var app = await TestApp.StartAsync(Settings(redis.ConnectionString));

        var (status, health) = await HealthAsync(app.Client, "/health");
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var name in new[] { "database", "data_folder", "redis", "scheduler", "ffmpeg" })
        {
            var check = Check(health, name);
            Assert.Equal("Healthy", check.GetProperty("status").GetString());
            Assert.False(string.IsNullOrWhiteSpace(check.GetProperty("description").GetString()));
        }
        Assert.Contains("ffmpeg", Check(health, "ffmpeg").GetProperty("description").GetString());
        Assert.Equal("Healthy", health.GetProperty("status").GetString());

        var ready = (await HealthAsync(app.Client, "/health/ready")).Body;
        Assert.Equal(["data_folder", "database", "ffmpeg", "media_store", "redis", "scheduler"], Names(ready));
        var live = (await HealthAsync(app.Client, "/health/live")).Body;
        Assert.Equal(["scheduler", "self"], Names(live));
    }

    [Fact]
    public async Task WithoutRedisTheDurableLogIsTheTransportAndHealthHasNoRedisCheck()
    {
        await using var app = await TestApp.StartAsync();
        Assert.IsType<DatabaseEventTransport>(app.Service<IEventTransport>());
        var health = (await HealthAsync(app.Client, "/health")).Body;
        Assert.DoesNotContain("redis", Names(health));
        Assert.Contains("database", Names(health));
    }

    [Fact]
    public async Task CompatibilitySwitchPublishesEveryEventOnTheOldChannel()
    {
        await using var bed = await RedisTestBed.StartAsync();
        await using var on = await bed.StartInstanceAsync(Tokens(5), TimeSpan.Zero,
            new Dictionary<string, string?> { ["Redis:PublishLegacyChannels"] = "true" });
        await using var off = await bed.StartInstanceAsync(Tokens(5), TimeSpan.Zero);
        await using var client = await ConnectionMultiplexer.ConnectAsync(bed.Redis.ConnectionString);

        var projectId = await CreateProjectAsync(on.Client);
        var legacy = await client.GetSubscriber().SubscribeAsync(RedisChannel.Literal($"ai_story:project:{projectId}:stage:rewrite"));
        var published = await PublishRunAsync(on.Service<IEventPublisher>(), projectId, ["从前", "有座山"]);
        foreach (var expected in published)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var message = await legacy.ReadAsync(cancel.Token);
            using var json = JsonDocument.Parse((string)message.Message!);
            Assert.Equal(expected.Type, json.RootElement.GetProperty("type").GetString());
            Assert.Equal(projectId, json.RootElement.GetProperty("project_id").GetString());
            Assert.Equal("rewrite", json.RootElement.GetProperty("stage").GetString());
            Assert.Equal(expected.Content, json.RootElement.TryGetProperty("content", out var content) ? content.GetString() : null);
        }

        // Off by default: nothing on the old channel.
        var quietProject = await CreateProjectAsync(off.Client);
        var quiet = await client.GetSubscriber().SubscribeAsync(RedisChannel.Literal($"ai_story:project:{quietProject}:stage:rewrite"));
        await PublishRunAsync(off.Service<IEventPublisher>(), quietProject, ["x"]);
        await Task.Delay(500);
        Assert.False(quiet.TryRead(out _));
    }

    [Fact]
    public async Task RetentionTrimsOldRunsFromTheStreamButKeepsEachStagesLatestRun()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var app = await TestApp.StartAsync(Settings(redis.ConnectionString, new Dictionary<string, string?> { ["Redis:RetentionSeconds"] = "1" }));
        var projectId = await CreateProjectAsync(app.Client);
        var publisher = app.Service<IEventPublisher>();
        var transport = app.Service<RedisEventTransport>();

        var storyboard = await PublishRunAsync(publisher, projectId, ["shot"], StageNames.Storyboard);
        var first = await PublishRunAsync(publisher, projectId, Tokens(1100));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var second = await PublishRunAsync(publisher, projectId, Tokens(1100));

        await WaitUntilAsync(async () => (await transport.ReadAsync(projectId, 0, CancellationToken.None)).All(e => e.RunId != first[0].RunId),
            Timeout, "the old rewrite run is trimmed");
        var kept = await transport.ReadAsync(projectId, 0, CancellationToken.None);
        Assert.Equal(storyboard.Concat(second).Select(e => e.Id), kept.Select(e => e.Id));
        Assert.Equal(kept.Count, await redis.IntegerAsync("XLEN", transport.Keys.Stream(projectId)));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> HealthAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static JsonElement Check(JsonElement health, string name) =>
        health.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static string[] Names(JsonElement health) =>
        [.. health.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).Order()];
}
