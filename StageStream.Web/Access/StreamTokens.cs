using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace StageStream.Web.Access;

/// <summary>What a stream token grants: one user's view of one project's streams (or one stage's), until it expires.</summary>
public sealed record StreamGrant(string UserId, string ProjectId, string? Stage, DateTimeOffset ExpiresAt);

/// <summary>
/// Short-lived tokens for EventSource clients, which cannot send an Authorization header: signed and encrypted with
/// ASP.NET Core Data Protection. The expiry is inside the payload, so an expired token is told apart from a forged one.
/// </summary>
public sealed class StreamTokens(IDataProtectionProvider protection, IOptions<AuthOptions> options, TimeProvider clock)
{
    private const string Version = "st1";
    private readonly IDataProtector _protector = protection.CreateProtector("StageStream.StreamTokens.v1");

    public (string Token, StreamGrant Grant) Issue(string userId, string projectId, string? stage)
    {
        var grant = new StreamGrant(userId, projectId, stage, clock.GetUtcNow().AddMinutes(options.Value.StreamTokenMinutes));
        var payload = string.Join('\n', Version, userId, projectId, stage ?? "", grant.ExpiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        return (_protector.Protect(payload), grant);
    }

    /// <exception cref="AccessFailure">The token is not one of ours, or it has expired.</exception>
    public StreamGrant Read(string token)
    {
        string payload;
        try
        {
            payload = _protector.Unprotect(token);
        }
        catch (CryptographicException)
        {
            throw AccessFailure.Unauthorized("Invalid stream token",
                "The access_token is not a stream token of this server. Get one from POST /api/v1/projects/{id}/stream-tokens.");
        }
        var parts = payload.Split('\n');
        if (parts.Length != 5 || parts[0] != Version || !long.TryParse(parts[4], CultureInfo.InvariantCulture, out var expires))
        {
            throw AccessFailure.Unauthorized("Invalid stream token", "The access_token is not a stream token of this version of the server.");
        }
        var grant = new StreamGrant(parts[1], parts[2], parts[3].Length == 0 ? null : parts[3], DateTimeOffset.FromUnixTimeSeconds(expires));
        if (grant.ExpiresAt <= clock.GetUtcNow())
        {
            throw AccessFailure.Unauthorized("Stream token expired",
                $"The stream token expired at {grant.ExpiresAt:u}. Fetch a fresh one (POST /api/v1/projects/{grant.ProjectId}/stream-tokens) and reconnect with it; " +
                "the Last-Event-ID resumes the stream without loss.");
        }
        return grant;
    }
}

/// <summary>A request refused for who it is (401) or what it may do (403), with a problem+json title and detail.</summary>
public sealed class AccessFailure(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;

    public static AccessFailure Unauthorized(string title, string detail) => new(StatusCodes.Status401Unauthorized, title, detail);

    public static AccessFailure Forbidden(string title, string detail) => new(StatusCodes.Status403Forbidden, title, detail);

    public static AccessFailure SignInRequired() => Unauthorized("Sign-in required",
        "Send an API key as 'Authorization: Bearer ssk_...' (made on the API keys page), sign in, or for an EventSource add ?access_token= with a stream token.");

    public static AccessFailure AdminsOnly() => Forbidden("Admins only", "Only an admin may do this.");
}
