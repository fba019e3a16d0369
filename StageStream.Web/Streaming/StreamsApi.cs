using Microsoft.EntityFrameworkCore;
using StageStream.Core.Persistence;
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

    private static async Task StageStreamAsync(
        HttpContext context, string projectId, string stageName, IServiceScopeFactory scopes, EventStreamResponder responder)
    {
        responder.ApplyCors(context);
        EventStreamResponder.AcceptProblems(context);
        if (!StageCatalog.IsValid(stageName))
        {
            throw NotFoundException.Stage(stageName);
        }
        await EnsureProjectExistsAsync(scopes, projectId, context.RequestAborted);
        await responder.RespondAsync(context, projectId, stageName);
    }

    private static async Task AllStagesStreamAsync(HttpContext context, string projectId, IServiceScopeFactory scopes, EventStreamResponder responder)
    {
        responder.ApplyCors(context);
        EventStreamResponder.AcceptProblems(context);
        await EnsureProjectExistsAsync(scopes, projectId, context.RequestAborted);
        await responder.RespondAsync(context, projectId, stage: null);
    }

    private static IResult Preflight(HttpContext context, EventStreamResponder responder)
    {
        responder.ApplyCors(context);
        context.Response.Headers.AccessControlMaxAge = "86400";
        return TypedResults.NoContent();
    }

    // A scope of its own, disposed before streaming: a DbContext taken from the request's scope would
    // live (with EF's loggers and SQLite connection) for the whole stream, ~30 KiB per connection.
    private static async Task EnsureProjectExistsAsync(IServiceScopeFactory scopes, string projectId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        if (!await db.Projects.AsNoTracking().AnyAsync(p => p.Id == projectId, cancellationToken))
        {
            throw NotFoundException.Project(projectId);
        }
    }
}
