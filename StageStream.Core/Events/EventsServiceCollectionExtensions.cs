using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace StageStream.Core.Events;

public static class EventsServiceCollectionExtensions
{
    /// <summary>The event log with the in-process transport; a Redis transport replaces <see cref="IEventTransport"/>.</summary>
    public static IServiceCollection AddStageEvents(this IServiceCollection services)
    {
        services.AddOptions<EventRetentionOptions>().BindConfiguration(EventRetentionOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EventHub>();
        services.TryAddSingleton<IEventTransport, InMemoryEventTransport>();
        services.TryAddSingleton<IEventPublisher, EventPublisher>();
        services.TryAddSingleton<IEventSubscriptions, EventSubscriptions>();
        return services;
    }
}
