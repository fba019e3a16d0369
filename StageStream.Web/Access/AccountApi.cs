using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using StageStream.Core.Accounts;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Web.Api;

namespace StageStream.Web.Access;

public sealed record StreamTokenDto(string Token, DateTimeOffset ExpiresAt, string ProjectId, string? Stage, string StreamUrl);

/// <summary>
/// Signing in and out (form posts from the account pages), API keys, stream tokens, share links, users and the audit
/// trail. Mapped only with <c>Auth:Mode=accounts</c>; <see cref="AccessGate"/> has checked the project before any of these run.
/// </summary>
public static class AccountApi
{
    public static void MapAccountApi(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Enabled)
        {
            return;
        }
        var forms = app.MapGroup("/auth").ExcludeFromDescription().DisableAntiforgery();
        forms.MapPost("/setup", SetupAsync).AllowAnonymous();
        forms.MapPost("/signin", SignInAsync).AllowAnonymous();
        forms.MapPost("/signout", SignOutAsync).AllowAnonymous();

        var keys = app.MapGroup("/api/v1/keys").WithTags("Access");
        keys.MapGet("/", ListKeysAsync);
        keys.MapPost("/", CreateKeyAsync);
        keys.MapDelete("/{keyId}", RevokeKeyAsync);

        var projects = app.MapGroup("/api/v1/projects/{id}").WithTags("Access");
        projects.MapPost("/stream-tokens", IssueStreamToken);
        projects.MapGet("/shares", ListSharesAsync);
        projects.MapPost("/shares", CreateShareAsync);
        projects.MapDelete("/shares/{shareId}", RevokeShareAsync);

        var admin = app.MapGroup("/api/v1").WithTags("Admin");
        admin.MapGet("/users", ListUsersAsync);
        admin.MapPost("/users", AddUserAsync);
        admin.MapGet("/audit", AuditAsync);
    }

    public static Viewer Viewer(this HttpContext context) =>
        Access.Viewer.From(context.User, context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.Enabled);

    private static string SignedInUser(HttpContext context) =>
        context.Viewer() is { SignedIn: true, UserId: { } id } ? id : throw AccessFailure.SignInRequired();

    private static void RequireAdmin(HttpContext context)
    {
        if (!context.Viewer().SignedIn || !context.Viewer().IsAdmin)
        {
            throw AccessFailure.AdminsOnly();
        }
    }

    private static string LocalOr(string? returnUrl, string fallback) =>
        returnUrl is { Length: > 0 } && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\") ? returnUrl : fallback;

    private static async Task<IFormCollection> FormAsync(HttpContext context) =>
        context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted)
        : throw new InvalidInputException("Form expected", "Post the account page's form (application/x-www-form-urlencoded).");

    private static async Task<IResult> SetupAsync(HttpContext context, Accounts accounts, SignInManager<AppUser> signIn)
    {
        var form = await FormAsync(context);
        try
        {
            var owner = await accounts.CreateOwnerAsync(form["user_name"], form["password"], context.RequestAborted);
            await signIn.SignInAsync(owner, isPersistent: true);
            return Results.LocalRedirect("/");
        }
        catch (ProjectRequestException e)
        {
            return Results.LocalRedirect("/account/setup?error=" + Uri.EscapeDataString(e.Message));
        }
    }

    private static async Task<IResult> SignInAsync(HttpContext context, SignInManager<AppUser> signIn)
    {
        var form = await FormAsync(context);
        var returnUrl = LocalOr(form["return_url"], "/");
        var result = await signIn.PasswordSignInAsync(form["user_name"].ToString(), form["password"].ToString(), isPersistent: true, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            return Results.LocalRedirect(returnUrl);
        }
        var error = result.IsLockedOut ? "locked" : "failed";
        return Results.LocalRedirect($"/account/signin?error={error}&returnUrl={Uri.EscapeDataString(returnUrl)}");
    }

    private static async Task<IResult> SignOutAsync(SignInManager<AppUser> signIn)
    {
        await signIn.SignOutAsync();
        return Results.LocalRedirect("/account/signin");
    }

    private static async Task<Ok<List<ApiKeyDto>>> ListKeysAsync(HttpContext context, AccountStores stores) =>
        TypedResults.Ok(await stores.KeysAsync(SignedInUser(context), context.RequestAborted));

    private static async Task<Created<NewApiKeyDto>> CreateKeyAsync(HttpContext context, CreateApiKeyRequest? request, AccountStores stores)
    {
        var key = await stores.CreateKeyAsync(SignedInUser(context), request?.Name, context.RequestAborted);
        return TypedResults.Created($"/api/v1/keys/{key.Id}", key);
    }

    private static async Task<NoContent> RevokeKeyAsync(HttpContext context, string keyId, AccountStores stores)
    {
        await stores.RevokeKeyAsync(SignedInUser(context), keyId, context.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>A token for <c>?access_token=</c> on this project's streams (or one stage's, with <c>?stage=</c>).</summary>
    private static Ok<StreamTokenDto> IssueStreamToken(HttpContext context, string id, string? stage, StreamTokens tokens)
    {
        if (stage is not null && !StageCatalog.IsValid(stage))
        {
            throw NotFoundException.Stage(stage);
        }
        var (token, grant) = tokens.Issue(SignedInUser(context), id, stage);
        var url = (stage is null ? Urls.AllStagesStream(id) : Urls.StageStream(id, stage)) + "?access_token=" + Uri.EscapeDataString(token);
        return TypedResults.Ok(new StreamTokenDto(token, grant.ExpiresAt, id, stage, url));
    }

    private static async Task<Ok<List<ShareLinkDto>>> ListSharesAsync(HttpContext context, string id, AccountStores stores)
    {
        SignedInUser(context);
        return TypedResults.Ok(await stores.SharesAsync(id, context.RequestAborted));
    }

    private static async Task<Created<NewShareLinkDto>> CreateShareAsync(HttpContext context, string id, AccountStores stores)
    {
        var share = await stores.CreateShareAsync(id, SignedInUser(context), context.RequestAborted);
        return TypedResults.Created(share.Url, share);
    }

    private static async Task<NoContent> RevokeShareAsync(HttpContext context, string id, string shareId, AccountStores stores)
    {
        SignedInUser(context);
        await stores.RevokeShareAsync(id, shareId, context.RequestAborted);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<List<UserDto>>> ListUsersAsync(HttpContext context, Accounts accounts)
    {
        RequireAdmin(context);
        return TypedResults.Ok(await accounts.ListAsync(context.RequestAborted));
    }

    private static async Task<Created<UserDto>> AddUserAsync(HttpContext context, AddUserRequest request, Accounts accounts)
    {
        RequireAdmin(context);
        var user = await accounts.CreateAsync(request.UserName, request.Password, request.Role);
        var role = string.IsNullOrWhiteSpace(request.Role) ? Roles.Member : request.Role.Trim().ToLowerInvariant();
        return TypedResults.Created($"/api/v1/users/{user.Id}", new UserDto(user.Id, user.UserName!, role, user.CreatedAt, false));
    }

    private static async Task<Ok<List<AuditEntryDto>>> AuditAsync(HttpContext context, int? limit, AccountStores stores)
    {
        RequireAdmin(context);
        return TypedResults.Ok(await stores.AuditAsync(limit ?? 200, context.RequestAborted));
    }
}
