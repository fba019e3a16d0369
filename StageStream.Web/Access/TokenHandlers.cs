using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StageStream.Core.Accounts;
using StageStream.Core.Persistence;

namespace StageStream.Web.Access;

/// <summary>The schemes that read a secret from the request: an API key, a stream token, a share link.</summary>
public static class Schemes
{
    /// <summary>The default: picks one of the others by what the request carries.</summary>
    public const string Select = "StageStream";
    public const string ApiKey = "ApiKey";
    public const string StreamToken = "StreamToken";
    public const string Share = "Share";

    public const string AccessTokenParameter = "access_token";
    public const string ShareParameter = "share";

    /// <summary>
    /// An <c>Authorization: Bearer</c> header is an API key; <c>?access_token=</c> a stream token (streams only);
    /// <c>?share=</c> a share link (reading the API, streams and media only: its page is <c>/s/{token}</c>); anything else the sign-in cookie.
    /// </summary>
    public static string Pick(HttpContext context)
    {
        var request = context.Request;
        if (request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return ApiKey;
        }
        if (request.Query.ContainsKey(AccessTokenParameter) && Paths.IsStream(request.Path))
        {
            return StreamToken;
        }
        if (request.Query.ContainsKey(ShareParameter) && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && (Paths.IsApi(request.Path) || Paths.IsMedia(request.Path)))
        {
            return Share;
        }
        return IdentityConstants.ApplicationScheme;
    }
}

/// <summary><c>Authorization: Bearer ssk_...</c>: the key's user, with the user's roles.</summary>
public sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IServiceScopeFactory scopes, TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    // A scope of its own: the request's would keep a DbContext alive for the whole of a stream.
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        var principals = scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<AppUser>>();
        var secret = Request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        var hash = Secrets.Hash(secret);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Hash == hash, Context.RequestAborted);
        if (key is null)
        {
            return AuthenticateResult.Fail(AccessFailure.Unauthorized("Invalid API key", "The bearer token is not an API key of this server."));
        }
        if (key.RevokedAt is not null)
        {
            return AuthenticateResult.Fail(AccessFailure.Unauthorized("API key revoked", $"The API key '{key.Name}' ({key.Prefix}...) was revoked; make a new one."));
        }
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == key.UserId, Context.RequestAborted);
        if (user is null || user.LockoutEnd > clock.GetUtcNow())
        {
            return AuthenticateResult.Fail(AccessFailure.Unauthorized("Account locked", "The key's account is locked or gone."));
        }
        var now = clock.GetUtcNow();
        if (key.LastUsedAt is null || now - key.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            key.LastUsedAt = now;
            await db.SaveChangesAsync(Context.RequestAborted);
        }
        var principal = await principals.CreateAsync(user);
        ((ClaimsIdentity)principal.Identity!).AddClaims([new Claim(Via.ClaimType, Via.ApiKey), new Claim(Via.KeyClaim, key.Id), new Claim(Via.KeyNameClaim, key.Name)]);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(principal.Claims, Scheme.Name)), Scheme.Name));
    }
}

/// <summary><c>?access_token=</c> on a stream: the one project (and stage) the token was made for.</summary>
public sealed class StreamTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, StreamTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        try
        {
            var grant = tokens.Read(Request.Query[Schemes.AccessTokenParameter].ToString());
            List<Claim> claims =
            [
                new(ClaimTypes.NameIdentifier, grant.UserId), new(Via.ClaimType, Via.StreamToken), new(Via.ProjectClaim, grant.ProjectId),
            ];
            if (grant.Stage is not null)
            {
                claims.Add(new Claim(Via.StageClaim, grant.Stage));
            }
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name)), Scheme.Name)));
        }
        catch (AccessFailure failure)
        {
            return Task.FromResult(AuthenticateResult.Fail(failure));
        }
    }
}

/// <summary><c>?share=shr_...</c>: reading one project, signed out, until the link is revoked.</summary>
public sealed class ShareLinkHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IServiceScopeFactory scopes)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        var projectId = await scope.ServiceProvider.GetRequiredService<AccountStores>().ShareProjectAsync(Request.Query[Schemes.ShareParameter].ToString(), Context.RequestAborted);
        if (projectId is null)
        {
            return AuthenticateResult.Fail(AccessFailure.Unauthorized("Invalid share link", "The share link is unknown or was revoked by its owner."));
        }
        Claim[] claims = [new(Via.ClaimType, Via.Share), new(Via.ProjectClaim, projectId)];
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name)), Scheme.Name));
    }
}
