using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using StageStream.Core.Projects;

namespace StageStream.Web.Access;

/// <summary>
/// The one place requests are let in or refused, after routing and authentication and before any endpoint or the media
/// files. Everything needs a signed-in user (or an API key) except what is marked <c>AllowAnonymous</c>; a request for a
/// project (a route value <c>id</c> or <c>projectId</c>, or a file under <c>/media/{projectId}/</c>) is answered 404 unless
/// the viewer may see it, so a project's existence never leaks. A share link or a stream token reads only its project.
/// With <c>Auth:Mode=none</c> only the cross-site check applies.
/// </summary>
public sealed class AccessGate(RequestDelegate next, IOptions<AuthOptions> options, IServiceScopeFactory scopes, ILogger<AccessGate> logger)
{
    // Not async where it only passes the request on: a frame held here lasts as long as an event stream.
    public Task InvokeAsync(HttpContext context)
    {
        if (CrossSite.Refuses(context.Request))
        {
            return Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Cross-site request refused",
                "A request that changes something must come from StageStream's own pages (or carry an API key); this one came from another site.");
        }
        return options.Value.Enabled ? CheckAsync(context) : next(context);
    }

    private async Task CheckAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var path = context.Request.Path;
        var mediaProject = Paths.MediaProject(path);
        // A CORS preflight never carries credentials, and answers nothing about any project.
        var isPublic = mediaProject is null && (endpoint is null || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null || Paths.IsFramework(path)
            || HttpMethods.IsOptions(context.Request.Method));
        if (isPublic)
        {
            await next(context);
            return;
        }
        var viewer = Viewer.From(context.User, accounts: true);
        if (viewer.UserId is null && viewer.ScopeProject is null)
        {
            await RefuseAnonymousAsync(context, endpoint);
            return;
        }
        var projectId = mediaProject ?? ProjectOf(context);
        if (projectId is null)
        {
            if (viewer.ScopeProject is not null)
            {
                await Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Read-only link",
                    "A share link or a stream token reads its own project only.");
                return;
            }
            await next(context);
            await AuditAsync(context, viewer, null);
            return;
        }
        var (exists, ownerId) = await OwnerOfAsync(projectId, context.RequestAborted);
        if (!exists || !viewer.CanSee(projectId, ownerId) || viewer.ScopeStage is not null && context.GetRouteValue("stageName") as string != viewer.ScopeStage)
        {
            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, "Project not found", NotFoundException.Project(projectId).Message);
            return;
        }
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method)
            && !viewer.CanChange(projectId, ownerId))
        {
            await Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "Read-only link", "A share link or a stream token can only watch the project.");
            return;
        }
        await next(context);
        await AuditAsync(context, viewer, projectId);
    }

    private static string? ProjectOf(HttpContext context) =>
        (context.GetRouteValue("projectId") ?? context.GetRouteValue("id")) as string;

    private async Task RefuseAnonymousAsync(HttpContext context, Endpoint? endpoint)
    {
        var path = context.Request.Path;
        if (!Paths.IsApi(path) && !Paths.IsMedia(path) && endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null)
        {
            var target = await AnyUserAsync(context.RequestAborted) ? "/account/signin?returnUrl=" + Uri.EscapeDataString(path + context.Request.QueryString) : "/account/setup";
            context.Response.Redirect(target);
            return;
        }
        // A key, token or link that was sent but refused says why.
        var result = await context.AuthenticateAsync();
        var failure = result.Failure as AccessFailure;
        if (failure is null && !await AnyUserAsync(context.RequestAborted))
        {
            failure = AccessFailure.Unauthorized("Not set up", "StageStream has no account yet: open it in a browser to create the owner account.");
        }
        failure ??= AccessFailure.SignInRequired();
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await Problems.WriteAsync(context, failure.Status, failure.Title, failure.Message);
    }

    private async Task<(bool, string?)> OwnerOfAsync(string projectId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AccountStores>().OwnerOfAsync(projectId, ct);
    }

    private async Task<bool> AnyUserAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Accounts>().AnyUserAsync(ct);
    }

    /// <summary>Every change that succeeded through the API, by whom.</summary>
    private async Task AuditAsync(HttpContext context, Viewer viewer, string? projectId)
    {
        var request = context.Request;
        var status = context.Response.StatusCode;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || status >= 400
            || !Paths.IsApi(request.Path) || context.GetEndpoint() is not RouteEndpoint endpoint)
        {
            return;
        }
        var pattern = endpoint.RoutePattern.RawText ?? "";
        projectId ??= ProjectIdFromLocation(context.Response.Headers.Location.ToString());
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<AccountStores>().RecordAsync(
                viewer, AuditActions.Of(request.Method, pattern), projectId, $"{request.Method} {request.Path}", CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "The audit trail could not record {Method} {Path}", request.Method, request.Path);
        }
    }

    private static string? ProjectIdFromLocation(string location) =>
        location.StartsWith("/api/v1/projects/", StringComparison.Ordinal) ? location["/api/v1/projects/".Length..].Split('/')[0] : null;
}

/// <summary>The audit trail's name for what a request did.</summary>
public static class AuditActions
{
    public static string Of(string method, string rawPattern)
    {
        var pattern = rawPattern.TrimEnd('/');
        return pattern switch
        {
            _ when HttpMethods.IsDelete(method) && pattern.Contains("/shares/", StringComparison.Ordinal) => "unshare",
            _ when HttpMethods.IsDelete(method) && pattern.Contains("/keys/", StringComparison.Ordinal) => "revoke_key",
            _ when HttpMethods.IsDelete(method) => "delete",
            _ when pattern.EndsWith("/run", StringComparison.Ordinal) => "run",
            _ when pattern.EndsWith("/cancel", StringComparison.Ordinal) => "cancel",
            _ when pattern.EndsWith("/shares", StringComparison.Ordinal) => "share",
            _ when pattern.EndsWith("/stream-tokens", StringComparison.Ordinal) => "stream_token",
            _ when pattern.EndsWith("/keys", StringComparison.Ordinal) => "create_key",
            _ when pattern.EndsWith("/users", StringComparison.Ordinal) => "add_user",
            _ when HttpMethods.IsPost(method) && pattern == "/api/v1/projects" => "create",
            _ => "edit",
        };
    }
}
