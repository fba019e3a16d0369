using Microsoft.EntityFrameworkCore;
using StageStream.Core.Accounts;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Web.Access;

public sealed record ApiKeyDto(string Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A key just made: the only time its secret is shown.</summary>
public sealed record NewApiKeyDto(string Id, string Name, string Key, DateTimeOffset CreatedAt);

public sealed record ShareLinkDto(string Id, string ProjectId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public sealed record NewShareLinkDto(string Id, string ProjectId, string Url, string Token, DateTimeOffset CreatedAt);

public sealed record AuditEntryDto(long Id, DateTimeOffset At, string? UserName, string Action, string? ProjectId, string? Detail);

public sealed record CreateApiKeyRequest(string? Name);

/// <summary>API keys, share links and the audit trail, over the app's database.</summary>
public sealed class AccountStores(StageStreamDbContext db, TimeProvider clock)
{
    public const int MaxKeyNameLength = 100;

    public async Task<NewApiKeyDto> CreateKeyAsync(string userId, string? name, CancellationToken ct)
    {
        name = string.IsNullOrWhiteSpace(name) ? "API key" : name.Trim();
        if (name.Length > MaxKeyNameLength)
        {
            throw new InvalidInputException("Name too long", $"'name' has {name.Length} characters; at most {MaxKeyNameLength} are allowed.");
        }
        TextRules.CheckName("name", name);
        var secret = Secrets.New(Secrets.ApiKeyPrefix);
        var key = new ApiKey
        {
            Id = Project.NewId(), UserId = userId, Name = name, Prefix = secret[..10], Hash = Secrets.Hash(secret), CreatedAt = clock.GetUtcNow(),
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return new NewApiKeyDto(key.Id, key.Name, secret, key.CreatedAt);
    }

    public async Task<List<ApiKeyDto>> KeysAsync(string userId, CancellationToken ct) =>
        (await db.ApiKeys.AsNoTracking().Where(k => k.UserId == userId).ToListAsync(ct))
        .OrderByDescending(k => k.CreatedAt).Select(k => new ApiKeyDto(k.Id, k.Name, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt)).ToList();

    /// <exception cref="NotFoundException">The user has no such key.</exception>
    public async Task RevokeKeyAsync(string userId, string keyId, CancellationToken ct)
    {
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId && k.UserId == userId, ct)
            ?? throw new NotFoundException("API key not found", $"You have no API key with the id '{keyId}'.");
        key.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
    }

    public async Task<NewShareLinkDto> CreateShareAsync(string projectId, string? userId, CancellationToken ct)
    {
        var token = Secrets.New(Secrets.SharePrefix);
        var share = new ShareLink { Id = Project.NewId(), ProjectId = projectId, CreatedBy = userId ?? "", Hash = Secrets.Hash(token), CreatedAt = clock.GetUtcNow() };
        db.ShareLinks.Add(share);
        await db.SaveChangesAsync(ct);
        return new NewShareLinkDto(share.Id, projectId, SharePath(token), token, share.CreatedAt);
    }

    public static string SharePath(string token) => $"/s/{token}";

    public async Task<List<ShareLinkDto>> SharesAsync(string projectId, CancellationToken ct) =>
        (await db.ShareLinks.AsNoTracking().Where(s => s.ProjectId == projectId).ToListAsync(ct))
        .OrderByDescending(s => s.CreatedAt).Select(s => new ShareLinkDto(s.Id, s.ProjectId, s.CreatedAt, s.RevokedAt)).ToList();

    public async Task RevokeShareAsync(string projectId, string shareId, CancellationToken ct)
    {
        var share = await db.ShareLinks.FirstOrDefaultAsync(s => s.Id == shareId && s.ProjectId == projectId, ct)
            ?? throw new NotFoundException("Share link not found", $"Project '{projectId}' has no share link with the id '{shareId}'.");
        share.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The project a live (not revoked) share link shows, or null.</summary>
    public async Task<string?> ShareProjectAsync(string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || !token.StartsWith(Secrets.SharePrefix, StringComparison.Ordinal) || token.Length > 100)
        {
            return null;
        }
        var hash = Secrets.Hash(token);
        return await db.ShareLinks.AsNoTracking().Where(s => s.Hash == hash && s.RevokedAt == null).Select(s => s.ProjectId).FirstOrDefaultAsync(ct);
    }

    public async Task RecordAsync(Viewer viewer, string action, string? projectId, string? detail, CancellationToken ct)
    {
        db.Audit.Add(new AuditEntry
        {
            At = clock.GetUtcNow(), UserId = viewer.UserId, UserName = viewer.UserName ?? viewer.Via, Action = action, ProjectId = projectId,
            Detail = detail is { Length: > 1000 } ? detail[..1000] : detail,
        });
        await db.SaveChangesAsync(ct);
    }

    public async Task<List<AuditEntryDto>> AuditAsync(int limit, CancellationToken ct) =>
        (await db.Audit.AsNoTracking().OrderByDescending(e => e.Id).Take(Math.Clamp(limit, 1, 1000)).ToListAsync(ct))
        .Select(e => new AuditEntryDto(e.Id, e.At, e.UserName, e.Action, e.ProjectId, e.Detail)).ToList();

    /// <summary>The owner of a project, or (false, null) when there is no such project.</summary>
    public async Task<(bool Exists, string? OwnerId)> OwnerOfAsync(string projectId, CancellationToken ct)
    {
        var owner = await db.Projects.AsNoTracking().Where(p => p.Id == projectId).Select(p => new { p.OwnerId }).FirstOrDefaultAsync(ct);
        return owner is null ? (false, null) : (true, owner.OwnerId);
    }
}
