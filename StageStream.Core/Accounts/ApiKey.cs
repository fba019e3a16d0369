namespace StageStream.Core.Accounts;

/// <summary>
/// A key a program sends as <c>Authorization: Bearer ...</c> to act as its user. Only the SHA-256 of the key is
/// stored; the key itself is shown once, when it is made.
/// </summary>
public sealed class ApiKey
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public required string Name { get; init; }

    /// <summary>The key's first characters, so a person can tell their keys apart.</summary>
    public required string Prefix { get; init; }
    public required string Hash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>A revocable read-only link to watch one project and play its film without an account; stored hashed like a key.</summary>
public sealed class ShareLink
{
    public required string Id { get; init; }
    public required string ProjectId { get; init; }
    public required string CreatedBy { get; init; }
    public required string Hash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>One line of the audit trail: who did what to which project, and when.</summary>
public sealed class AuditEntry
{
    public long Id { get; init; }
    public DateTimeOffset At { get; init; }
    public string? UserId { get; init; }
    public string? UserName { get; init; }
    public required string Action { get; init; }
    public string? ProjectId { get; init; }
    public string? Detail { get; init; }
}
