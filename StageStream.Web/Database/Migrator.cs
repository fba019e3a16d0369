using Microsoft.EntityFrameworkCore;
using Npgsql;
using StageStream.Core.Persistence;

namespace StageStream.Web.Database;

/// <summary>Brings the database's schema up to date at start-up, safely when several instances start at once.</summary>
public static class Migrator
{
    /// <summary>Any fixed number: the key of the PostgreSQL advisory lock that instances take in turn to migrate.</summary>
    private const long MigrationLockKey = 0x5374_6167_6553_7472; // "StageStr"

    public static async Task MigrateAsync(StageStreamDbContext db, DatabaseChoice database, ILogger logger, CancellationToken cancellationToken)
    {
        if (database.PostgresConnectionString is not { } postgres)
        {
            await db.Database.MigrateAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            return;
        }
        // A session lock on a connection of its own, held across the whole migration: the next instance waits,
        // then finds nothing to apply. PostgreSQL releases it if this process dies meanwhile.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", connection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }
        try
        {
            logger.LogDebug("Migrating {Database}", database.Description);
            await db.Database.MigrateAsync(cancellationToken);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockKey})", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
