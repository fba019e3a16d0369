using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StageStream.Core.Events.Log;

namespace StageStream.Core.Events;

public static class EventsServiceCollectionExtensions
{
    /// <summary>
    /// The event log with the durable transport in the app's database (the host registers
    /// <see cref="Persistence.StageStreamDbContext"/>); a Redis transport replaces <see cref="IEventTransport"/>.
    /// </summary>
    public static IServiceCollection AddStageEvents(this IServiceCollection services)
    {
        services.AddOptions<EventRetentionOptions>().BindConfiguration(EventRetentionOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EventHub>();
        services.TryAddSingleton<DatabaseEventTransport>();
        services.TryAddSingleton<IEventTransport>(provider => provider.GetRequiredService<DatabaseEventTransport>());
        if (!services.Any(d => d.ServiceType == typeof(EventLogPruner)))
        {
            services.AddSingleton<EventLogPruner>();
            services.AddHostedService(provider => provider.GetRequiredService<EventLogPruner>());
        }
        services.TryAddSingleton<IEventPublisher, EventPublisher>();
        services.TryAddSingleton<IEventSubscriptions, EventSubscriptions>();
        return services;
    }
}
