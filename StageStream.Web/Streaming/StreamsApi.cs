using StageStream.Core.Pipeline;
using StageStream.Core.Projects;

namespace StageStream.Web.Streaming;

/// <summary>
/// The Server-Sent Events streams of the seed: one stage of a project, or all its stages and the
/// pipeline. The wire format is described in docs/sse-protocol.md.
/// </summary>
public static class StreamsApi
{
    public static RouteGroupBuilder MapStreamsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/sse").WithTags("Streams");
        MapStreams(group);
        // The old system's deployed code served the same views here, and existing front ends call these paths.
        MapStreams(endpoints.MapGroup("/api/v1/projects/sse").WithTags("Streams").ExcludeFromDescription());
        return group;
    }

    // Routing matches each path with and without its trailing slash.
    private static void MapStreams(RouteGroupBuilder group)
    {
        group.MapGet("/projects/{projectId}/stages/{stageName}", StageStreamAsync);
        group.MapGet("/projects/{projectId}", AllStagesStreamAsync);
        group.MapMethods("/projects/{projectId}/stages/{stageName}", [HttpMethods.Options], Preflight);
        group.MapMethods("/projects/{projectId}", [HttpMethods.Options], Preflight);
    }

    // Not async: the responder's own frame is the only one an open stream holds.
    private static Task StageStreamAsync(HttpContext context, string projectId, string stageName, EventStreamResponder responder)
    {
        EventStreamResponder.AcceptProblems(context);
        if (!StageCatalog.IsValid(stageName))
        {
            throw NotFoundException.Stage(stageName);
        }
        return responder.RespondAsync(context, projectId, stageName);
    }

    private static Task AllStagesStreamAsync(HttpContext context, string projectId, EventStreamResponder responder)
    {
        EventStreamResponder.AcceptProblems(context);
        return responder.RespondAsync(context, projectId, stage: null);
    }

    private static IResult Preflight(HttpContext context, StreamCors cors)
    {
        cors.Apply(context);
        context.Response.Headers.AccessControlMaxAge = "86400";
        return TypedResults.NoContent();
    }
}
