using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StageStream.Core.Events;
using StageStream.Core.Persistence;

namespace StageStream.Bench.Micro;

/// <summary>The app's event services over the durable log in a migrated SQLite database in a temp folder, as the server has them.</summary>
internal sealed class EventLogSetup : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _folder = Directory.CreateTempSubdirectory("stagestream-bench-log-").FullName;

    public EventLogSetup(int subscriberBufferSize = 2048)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Events:SubscriberBufferSize"] = subscriberBufferSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build());
        services.AddLogging();
        services.AddDbContext<StageStreamDbContext>(options => options.UseSqlite($"Data Source={Path.Combine(_folder, "stagestream.db")};Default Timeout=30"));
        services.AddStageEvents();
        _services = services.BuildServiceProvider();
        using var scope = _services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        db.Database.Migrate();
        db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
    }

    public EventHub Hub => _services.GetRequiredService<EventHub>();
    public IEventPublisher Publisher => _services.GetRequiredService<IEventPublisher>();
    public IEventSubscriptions Subscriptions => _services.GetRequiredService<IEventSubscriptions>();

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
