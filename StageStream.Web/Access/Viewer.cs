using System.Security.Claims;
using StageStream.Core.Accounts;

namespace StageStream.Web.Access;

/// <summary>How a request proved who it is.</summary>
public static class Via
{
    public const string ClaimType = "stagestream:via";
    public const string ProjectClaim = "stagestream:project";
    public const string StageClaim = "stagestream:stage";
    public const string KeyClaim = "stagestream:key";
    public const string KeyNameClaim = "stagestream:key_name";

    public const string Cookie = "cookie";
    public const string ApiKey = "api_key";
    public const string StreamToken = "stream_token";
    public const string Share = "share";
    public const string Open = "none";
}

/// <summary>
/// Who is asking, as the access rules see it: a user (by cookie or API key), a stream token or a share link scoped to
/// one project, or, with <c>Auth:Mode=none</c>, anyone (who sees everything).
/// </summary>
public sealed record Viewer(
    string? UserId, string? UserName, bool IsAdmin, string Via, string? ScopeProject = null, string? ScopeStage = null, string? KeyName = null)
{
    /// <summary>Everyone, with no accounts (<c>Auth:Mode=none</c>).</summary>
    public static readonly Viewer Open = new(null, null, IsAdmin: true, Access.Via.Open);

    public static readonly Viewer Anonymous = new(null, null, IsAdmin: false, "anonymous");

    public bool SignedIn => UserId is not null && ScopeProject is null;

    /// <summary>Sees the project at all (for reading).</summary>
    public bool CanSee(string projectId, string? ownerId) => ScopeProject is not null
        ? ScopeProject == projectId
        : IsAdmin || UserId is not null && ownerId == UserId;

    /// <summary>Changes it: its owner or an admin, never through a share link or a stream token.</summary>
    public bool CanChange(string projectId, string? ownerId) => ScopeProject is null && CanSee(projectId, ownerId);

    /// <summary>Who the run history says started a run: the user's name, <c>user/key</c> through an API key; null without accounts.</summary>
    public string? Actor => UserName is null ? null : KeyName is null ? UserName : $"{UserName}/{KeyName}";

    /// <summary>Whose projects the list shows: null = all.</summary>
    public string? ListFilter => IsAdmin ? null : UserId ?? "";

    public static Viewer From(ClaimsPrincipal user, bool accounts)
    {
        if (!accounts)
        {
            return Open;
        }
        if (user.Identity?.IsAuthenticated != true)
        {
            return Anonymous;
        }
        return new Viewer(
            user.FindFirstValue(ClaimTypes.NameIdentifier),
            user.Identity.Name,
            user.IsInRole(Roles.Admin),
            user.FindFirstValue(Access.Via.ClaimType) ?? Access.Via.Cookie,
            user.FindFirstValue(Access.Via.ProjectClaim),
            user.FindFirstValue(Access.Via.StageClaim),
            user.FindFirstValue(Access.Via.KeyNameClaim));
    }
}
