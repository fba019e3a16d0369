using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using StageStream.Core.Events;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Web.Components.Shared;

namespace StageStream.Tests.Components;

/// <summary>
/// The services the components need, real where it matters: the durable event log the app uses
/// (events are published through <see cref="IEventPublisher"/>, never faked), the Core project and
/// pipeline services over a migrated SQLite database in a temp folder, and MudBlazor with loose JS
/// interop. Only the job scheduler is replaced, by a queue that records what would run.
/// </summary>
public static class ComponentTestServices
{
    public static TestData AddTestServices(this BunitContext context, Action<IServiceCollection>? configure = null)
    {
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        var services = context.Services;
        var data = new TestData();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pipeline:MaxAttempts"] = "3",
        }).Build());
        services.AddLogging();
        services.AddMudServices();
        services.AddSingleton(new DataFolder(data.Path));
        services.AddDbContext<StageStreamDbContext>((sp, options) =>
            options.UseSqlite($"Data Source={sp.GetRequiredService<DataFolder>().DatabasePath};Pooling=false"));
        services.AddStagePipeline();
        services.AddSingleton(data.Queue);
        services.AddSingleton<IStageQueue>(data.Queue);
        services.AddSingleton<UiText>();
        services.AddSingleton<ProjectActions>();
        configure?.Invoke(services);
        using (var scope = context.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
            db.Database.Migrate();
            // As the app runs it (PrepareAsync): the event log's commits then need no fsync each.
            db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
        }
        return data;
    }

    public static IEventPublisher Publisher(this BunitContext context) => context.Services.GetRequiredService<IEventPublisher>();

    public static async Task<T> WithScopeAsync<T>(this BunitContext context, Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = context.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }
}

/// <summary>
/// The real subscriptions behind a gate the test opens, to see a component before its stream is open
/// (the "connecting" state).
/// </summary>
public sealed class GatedSubscriptions(EventSubscriptions inner) : IEventSubscriptions
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _gate.TrySetResult();

    public async Task<EventSubscription> SubscribeAsync(string projectId, string? stage, long? afterId, CancellationToken cancellationToken)
    {
        await _gate.Task.WaitAsync(cancellationToken);
        return await inner.SubscribeAsync(projectId, stage, afterId, cancellationToken);
    }

    public static void Register(IServiceCollection services)
    {
        services.AddSingleton<EventSubscriptions>();
        services.AddSingleton<GatedSubscriptions>();
        services.AddSingleton<IEventSubscriptions>(sp => sp.GetRequiredService<GatedSubscriptions>());
    }
}

/// <summary>The temp data folder of one test, deleted with the context.</summary>
public sealed class TestData : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("stagestream-bunit-").FullName;
    public RecordingStageQueue Queue { get; } = new();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Stands in for Quartz: keeps the stage runs the pipeline service queued.</summary>
public sealed class RecordingStageQueue : IStageQueue
{
    private readonly List<StageRunRequest> _runs = [];

    public IReadOnlyList<StageRunRequest> Runs
    {
        get
        {
            lock (_runs)
            {
                return [.. _runs];
            }
        }
    }

    public Task EnqueueAsync(StageRunRequest run, CancellationToken cancellationToken)
    {
        lock (_runs)
        {
            _runs.Add(run);
        }
        return Task.CompletedTask;
    }
}

/// <summary>Events of one stage run, published through the real event log.</summary>
public sealed class RunEvents(IEventPublisher publisher, string projectId, string stage, string? runId = null, string? pipelineRunId = null)
{
    public string RunId { get; } = runId ?? Guid.NewGuid().ToString("N")[..12];

    public Task<StageEvent> PublishAsync(string type, Func<StageEvent, StageEvent>? shape = null)
    {
        var e = new StageEvent { Type = type, ProjectId = projectId, Stage = stage, RunId = RunId, PipelineRunId = pipelineRunId };
        return publisher.PublishAsync(shape is null ? e : shape(e)).AsTask();
    }

    public Task<StageEvent> StageUpdateAsync(string status, int progress = 0) =>
        PublishAsync(EventTypes.StageUpdate, e => e with { Status = status, Progress = progress, Message = status });

    public Task<StageEvent> TokenAsync(string delta) => PublishAsync(EventTypes.Token, e => e with { Content = delta });

    public Task<StageEvent> ProgressAsync(int progress) => PublishAsync(EventTypes.Progress, e => e with { Progress = progress, Current = progress, Total = 100, Message = "Working" });

    public Task<StageEvent> DoneAsync(string fullText) => PublishAsync(EventTypes.Done, e => e with { FullText = fullText, Result = fullText.Trim() });

    public Task<StageEvent> ErrorAsync(string error) => PublishAsync(EventTypes.Error, e => e with { Error = error, RetryCount = 0 });
}
