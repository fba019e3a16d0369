using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StageStream.Core.Events;
using StageStream.Core.Projects;
using StageStream.Core.Providers;
using StageStream.Tests.Infrastructure;
using StageStream.Web.Streaming.Redis;

namespace StageStream.Tests.Redis;

/// <summary>Starting instances on one Redis and one data folder, and reading their streams.</summary>
internal static class RedisTestSupport
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Dictionary<string, string?> Settings(string redisConnectionString, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redisConnectionString,
            ["Stages:rewrite:Provider"] = ScriptedRewriteProvider.ProviderName,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>One instance on the shared Redis and data folder, with a rewrite provider that streams <paramref name="tokens"/>.</summary>
    public static async Task<TestApp> StartInstanceAsync(
        string redisConnectionString, string dataPath, IReadOnlyList<string> tokens, TimeSpan tokenDelay, IDictionary<string, string?>? extra = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var app = await TestApp.StartAsync(Settings(redisConnectionString, extra), dataPath, builder =>
        {
            builder.Services.AddSingleton<IRewriteProvider>(new ScriptedRewriteProvider(tokens, tokenDelay));
            configure?.Invoke(builder);
        });
        // The app serves after 3 s even if its announcement subscription is not in place yet (on a busy machine);
        // a test must not publish before it is, or the other instances' announcements are missed for good.
        var transport = app.Service<RedisEventTransport>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (transport.IsConnected && transport.SubscriptionCount == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        return app;
    }

    public static async Task<string> CreateProjectAsync(HttpClient client, string text = "很久以前，山里住着一位老人。He kept bees and told stories.")
    {
        var response = await client.PostAsJsonAsync("/api/v1/projects", new { name = "Redis test", original_text = text });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("id").GetString()!;
    }

    public static async Task RunStageAsync(HttpClient client, string projectId, string stage)
    {
        var response = await client.PostAsync($"/api/v1/projects/{projectId}/stages/{stage}/run", null);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
    }

    public static async Task<string?> RewrittenTextAsync(HttpClient client, string projectId)
    {
        var project = await client.GetFromJsonAsync<JsonElement>($"/api/v1/projects/{projectId}");
        return project.TryGetProperty("rewritten_text", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
    }

    /// <summary>A token of the project's rewrite run <c>run-1</c>.</summary>
    public static StageEvent RewriteToken(string projectId, string content) => new()
    {
        Type = EventTypes.Token, ProjectId = projectId, Stage = StageNames.Rewrite, RunId = "run-1", Content = content,
    };

    /// <summary>Publishes a run: its stage_update, one token each, and done with the whole text; returns the events as published.</summary>
    public static async Task<List<StageEvent>> PublishRunAsync(IEventPublisher publisher, string projectId, IReadOnlyList<string> tokens, string stage = StageNames.Rewrite)
    {
        var runId = Guid.NewGuid().ToString("N");
        StageEvent New(string type) => new() { Type = type, ProjectId = projectId, Stage = stage, RunId = runId };
        var events = new List<StageEvent> { await publisher.PublishAsync(New(EventTypes.StageUpdate) with { Status = "processing" }) };
        foreach (var token in tokens)
        {
            events.Add(await publisher.PublishAsync(New(EventTypes.Token) with { Content = token }));
        }
        events.Add(await publisher.PublishAsync(New(EventTypes.Done) with { FullText = string.Concat(tokens) }));
        return events;
    }

    /// <summary>Reads until the stream ends (or <paramref name="until"/> says stop), failing after <paramref name="timeout"/>.</summary>
    public static async Task<List<DeliveredEvent>> ReadAsync(EventSubscription subscription, TimeSpan timeout, Func<DeliveredEvent, bool>? until = null)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var events = new List<DeliveredEvent>();
        await foreach (var delivered in subscription.ReadAllAsync(cancel.Token))
        {
            events.Add(delivered);
            if (until?.Invoke(delivered) == true)
            {
                break;
            }
        }
        return events;
    }

    /// <summary>Ids strictly increase: no event twice, none out of order.</summary>
    public static void AssertIncreasingIds(IEnumerable<DeliveredEvent> events)
    {
        long previous = 0;
        foreach (var e in events)
        {
            Assert.True(e.Id > previous, $"id {e.Id} came after {previous}");
            previous = e.Id;
        }
    }

    public static string Deltas(IEnumerable<DeliveredEvent> events) =>
        string.Concat(events.Where(e => e.Type == EventTypes.Token).Select(e => e.Event.Content));

    public static IReadOnlyList<string> Tokens(int count) =>
        [.. Enumerable.Range(0, count).Select(i => i % 8 == 7 ? $"第{i}句。\n" : $"word{i} ")];

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }
            await Task.Delay(100);
        }
    }
}

/// <summary>
/// What most Redis tests share: a real redis-server and one data folder for the instances they start on it,
/// both gone when disposed (after the instances, declared later, are).
/// </summary>
internal sealed class RedisTestBed : IAsyncDisposable
{
    private RedisTestBed(RedisServer redis) => Redis = redis;

    public RedisServer Redis { get; }

    public TempFolder Data { get; } = new();

    public static async Task<RedisTestBed> StartAsync(bool appendOnly = false) => new(await RedisServer.StartAsync(appendOnly: appendOnly));

    /// <summary>An instance on this Redis and data folder (see <see cref="RedisTestSupport.StartInstanceAsync"/>); by default its rewrite streams 10 tokens at once.</summary>
    public Task<TestApp> StartInstanceAsync(
        IReadOnlyList<string>? tokens = null, TimeSpan tokenDelay = default, IDictionary<string, string?>? extra = null,
        Action<WebApplicationBuilder>? configure = null) =>
        RedisTestSupport.StartInstanceAsync(Redis.ConnectionString, Data.Path, tokens ?? RedisTestSupport.Tokens(10), tokenDelay, extra, configure);

    public async ValueTask DisposeAsync()
    {
        await Redis.DisposeAsync();
        Data.Dispose();
    }
}

/// <summary>
/// A rewrite provider that streams a fixed text at a fixed pace, so a test knows the text and can act in the
/// middle of the stream. Everything around it (stage runner, Quartz job, events, Redis) is the real app.
/// </summary>
internal sealed class ScriptedRewriteProvider(IReadOnlyList<string> tokens, TimeSpan delay) : IRewriteProvider
{
    public const string ProviderName = "scripted";

    public string Name => ProviderName;

    public async IAsyncEnumerable<string> RewriteAsync(string originalText, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var token in tokens)
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken);
            }
            yield return token;
        }
    }
}
