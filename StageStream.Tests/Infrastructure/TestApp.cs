using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Web.Hosting;
using StageStream.Web.Jobs;

namespace StageStream.Tests.Infrastructure;

/// <summary>
/// The real application on a real Kestrel port on loopback, with its own temporary data folder
/// (or a given one, to restart on the same data). Offline tokens come without delay unless set.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsData;

    private TestApp(WebApplication app, string dataPath, bool ownsData)
    {
        _app = app;
        DataPath = dataPath;
        _ownsData = ownsData;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    public string DataPath { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<TestApp> StartAsync(
        IDictionary<string, string?>? settings = null, string? dataPath = null, Action<WebApplicationBuilder>? configure = null)
    {
        var ownsData = dataPath is null;
        dataPath ??= Directory.CreateTempSubdirectory("stagestream-test-").FullName;
        var values = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Storage:DataPath"] = dataPath,
            ["Providers:Offline:TokensPerSecond"] = "0",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            // Today's open single-user behaviour, so the tests written before accounts run unchanged; access tests opt in.
            ["Auth:Mode"] = "none",
            ["RateLimits:Enabled"] = "false",
            // Tests compare what a client received token by token with what was published or replayed; on a busy
            // machine a client 30 ms behind would get merged tokens. Merging is tested where it is set (LeanStreamTests).
            ["Streaming:CoalesceAfterMilliseconds"] = "60000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        // As command-line arguments, so the settings are there while the app registers its services.
        var args = values.Where(pair => pair.Value is not null).Select(pair => $"--{pair.Key}={pair.Value}").ToArray();
        var app = StageStreamApp.Create(args, configure);
        await app.PrepareAsync();
        await app.StartAsync();
        await WaitForSchedulerAsync(app.Services, TimeSpan.FromSeconds(30));
        return new TestApp(app, dataPath, ownsData);
    }

    /// <summary>
    /// Quartz starts its scheduler once the host has started, a moment after <c>StartAsync</c> returns; until then
    /// /health/ready rightly answers 503. A test begins where an instance behind a load balancer would: ready.
    /// </summary>
    private static async Task WaitForSchedulerAsync(IServiceProvider services, TimeSpan timeout)
    {
        var scheduler = await services.GetRequiredService<Quartz.ISchedulerFactory>().GetScheduler();
        var deadline = DateTime.UtcNow + timeout;
        while (scheduler.Status != Quartz.SchedulerStatus.Running)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The Quartz scheduler did not start within {timeout}.");
            }
            await Task.Delay(20);
        }
    }

    public T Service<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    /// <summary>Runs <paramref name="work"/> with a scoped service (the DbContext, the services over it).</summary>
    public async Task<TResult> WithScopeAsync<TService, TResult>(Func<TService, Task<TResult>> work) where TService : notnull
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<TService>());
    }

    public async Task StopAsync() => await _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsData)
        {
            try
            {
                Directory.Delete(DataPath, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
