using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using StageStream.Core.Accounts;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Web.Access;

public sealed record UserDto(string Id, string UserName, string Role, DateTimeOffset CreatedAt, bool LockedOut);

public sealed record AddUserRequest(string? UserName, string? Password, string? Role);

/// <summary>The accounts: the owner made by the first visitor, the others added by an admin.</summary>
public sealed class Accounts(UserManager<AppUser> users, StageStreamDbContext db, TimeProvider clock)
{
    public const int MaxUserNameLength = 64;

    public Task<bool> AnyUserAsync(CancellationToken ct) => db.Users.AnyAsync(ct);

    /// <summary>The first account, an admin, who also owns the projects made before accounts existed.</summary>
    /// <exception cref="ConflictException">There is an account already.</exception>
    public async Task<AppUser> CreateOwnerAsync(string? userName, string? password, CancellationToken ct)
    {
        // Serializable (on SQLite a write lock from the start): of two first visitors at once, only one becomes the owner.
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
        if (await AnyUserAsync(ct))
        {
            throw new ConflictException("Already set up", "The owner account exists already; sign in, or ask an admin to add you.");
        }
        var owner = await CreateAsync(userName, password, Roles.Admin);
        await db.Projects.Where(p => p.OwnerId == null).ExecuteUpdateAsync(p => p.SetProperty(x => x.OwnerId, owner.Id), ct);
        await transaction.CommitAsync(ct);
        return owner;
    }

    /// <exception cref="InvalidInputException">The name, password or role is not acceptable (the detail says why).</exception>
    public async Task<AppUser> CreateAsync(string? userName, string? password, string? role)
    {
        userName = userName?.Trim();
        if (string.IsNullOrEmpty(userName))
        {
            throw new InvalidInputException("Name required", "'user_name' is missing or empty.");
        }
        if (userName.Length > MaxUserNameLength)
        {
            throw new InvalidInputException("Name too long", $"'user_name' has {userName.Length} characters; at most {MaxUserNameLength} are allowed.");
        }
        TextRules.CheckName("user_name", userName);
        role = string.IsNullOrWhiteSpace(role) ? Roles.Member : role.Trim().ToLowerInvariant();
        if (!Roles.All.Contains(role))
        {
            throw new InvalidInputException("Unknown role", $"'role' is '{role}'; it must be '{Roles.Admin}' or '{Roles.Member}'.");
        }
        if (string.IsNullOrEmpty(password))
        {
            throw new InvalidInputException("Password required", "'password' is missing or empty.");
        }
        var user = new AppUser { UserName = userName, CreatedAt = clock.GetUtcNow() };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            throw created.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.DuplicateUserName))
                ? new ConflictException("Name taken", $"There is a user named '{userName}' already.")
                : new InvalidInputException("Not accepted", string.Join(" ", created.Errors.Select(e => e.Description)));
        }
        var added = await users.AddToRoleAsync(user, role);
        if (!added.Succeeded)
        {
            throw new InvalidOperationException(string.Join(" ", added.Errors.Select(e => e.Description)));
        }
        return user;
    }

    public async Task<List<UserDto>> ListAsync(CancellationToken ct)
    {
        var admins = (await users.GetUsersInRoleAsync(Roles.Admin)).Select(u => u.Id).ToHashSet();
        var now = clock.GetUtcNow();
        return (await db.Users.AsNoTracking().ToListAsync(ct)).OrderBy(u => u.CreatedAt)
            .Select(u => new UserDto(u.Id, u.UserName!, admins.Contains(u.Id) ? Roles.Admin : Roles.Member, u.CreatedAt, u.LockoutEnd > now))
            .ToList();
    }
}
