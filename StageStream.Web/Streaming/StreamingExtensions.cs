using StageStream.Core.Events;

namespace StageStream.Web.Streaming;

public static class StreamingExtensions
{
    public static void AddStreaming(this WebApplicationBuilder builder)
    {
        builder.Services.AddStageEvents();
    }

    public static RouteGroupBuilder MapStreamsApi(this IEndpointRouteBuilder endpoints)
    {
        // TODO(issue 3): the SSE endpoints.
        return endpoints.MapGroup("/api/v1/sse");
    }
}
