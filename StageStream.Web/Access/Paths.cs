using StageStream.Core.Persistence;

namespace StageStream.Web.Access;

/// <summary>The kinds of path the access rules tell apart.</summary>
public static class Paths
{
    public static bool IsStream(PathString path) =>
        path.StartsWithSegments("/api/v1/sse") || path.StartsWithSegments("/api/v1/projects/sse");

    public static bool IsApi(PathString path) => path.StartsWithSegments("/api");

    /// <summary>The project a media file belongs to: <c>/media/{projectId}/...</c>.</summary>
    public static string? MediaProject(PathString path)
    {
        if (!path.StartsWithSegments(DataFolder.UrlPrefix, out var rest) || !rest.HasValue)
        {
            return null;
        }
        var segments = rest.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 2 ? segments[0] : "";
    }

    public static bool IsMedia(PathString path) => path.StartsWithSegments(DataFolder.UrlPrefix);

    /// <summary>The Blazor runtime and circuit hub: public, since a share link's page runs on them signed out; pages check access themselves.</summary>
    public static bool IsFramework(PathString path) => path.StartsWithSegments("/_framework") || path.StartsWithSegments("/_blazor") || path.StartsWithSegments("/_content");
}
