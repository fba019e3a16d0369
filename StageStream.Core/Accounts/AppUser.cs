using Microsoft.AspNetCore.Identity;

namespace StageStream.Core.Accounts;

/// <summary>A person who signs in. The first one is the owner (role <see cref="Roles.Admin"/>); the others are added by an admin.</summary>
public sealed class AppUser : IdentityUser
{
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>The two roles: admins see and manage everything (users, settings, the audit trail); members their own projects.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Member = "member";

    public static readonly string[] All = [Admin, Member];
}
