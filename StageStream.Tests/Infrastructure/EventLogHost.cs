using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Events;
using StageStream.Core.Events.Log;
using StageStream.Core.Persistence;

namespace StageStream.Tests.Infrastructure;

/// <summary>
/// The event services alone (hub, durable log, publisher, subscriptions) over a migrated SQLite database
/// in a data folder, without the web app: for tests of the log itself. Disposing it stops the log's
/// writer the way the app's shutdown does; a new host on the same folder is a restart.
/// </summary>
public sealed class EventLogHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private EventLogHost(ServiceProvider services, string dataPath)
    {
        _services = services;
        DataPath = dataPath;
    }

    public string DataPath { get; }
    public string DatabasePath => Path.Combine(DataPath, "stagestream.db");
    public EventHub Hub => Service<EventHub>();
    public DatabaseEventTransport Transport => Service<DatabaseEventTransport>();
    public IEventPublisher Publisher => Service<IEventPublisher>();
    public IEventSubscriptions Subscriptions => Service<IEventSubscriptions>();

    public static EventLogHost Start(string dataPath, IDictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(clock ?? TimeProvider.System);
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build());
        services.AddLogging();
        services.AddSingleton(new DataFolder(dataPath));
        services.AddDbContext<StageStreamDbContext>((provider, options) =>
            options.UseSqlite($"Data Source={provider.GetRequiredService<DataFolder>().DatabasePath};Default Timeout=30"));
        services.AddStageEvents();
        var provider = services.BuildServiceProvider();
        using (var scope = provider.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
            db.Database.Migrate();
            db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
        }
        return new EventLogHost(provider, dataPath);
    }

    public T Service<T>() where T : notnull => _services.GetRequiredService<T>();

    public async Task<T> WithDbAsync<T>(Func<StageStreamDbContext, Task<T>> work)
    {
        await using var scope = _services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<StageStreamDbContext>());
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
