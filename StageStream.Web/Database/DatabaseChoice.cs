using Microsoft.EntityFrameworkCore;
using Npgsql;
using Quartz;
using StageStream.Core.Persistence;
using StageStream.Migrations.Postgres;

namespace StageStream.Web.Database;

/// <summary>
/// The one place the database is chosen: PostgreSQL when <c>ConnectionStrings:Postgres</c> is set (several hosts
/// can share it, and Quartz clusters on it), else SQLite in the data folder (the default, for one host). EF Core
/// and Quartz's job store use the same database.
/// </summary>
public sealed class DatabaseChoice
{
    public const string PostgresConnectionStringName = "Postgres";

    private DatabaseChoice(string? postgres, string sqlitePath)
    {
        PostgresConnectionString = postgres;
        SqlitePath = sqlitePath;
    }

    /// <summary>Null for SQLite.</summary>
    public string? PostgresConnectionString { get; }

    public string SqlitePath { get; }

    public bool IsPostgres => PostgresConnectionString is not null;

    public static DatabaseChoice From(IConfiguration configuration, string dataRoot) =>
        new(PostgresOf(configuration), Path.Combine(dataRoot, DataFolder.DatabaseFileName));

    public static bool IsPostgresConfigured(IConfiguration configuration) => PostgresOf(configuration) is not null;

    private static string? PostgresOf(IConfiguration configuration) =>
        configuration.GetConnectionString(PostgresConnectionStringName) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>EF Core on the chosen database, with that provider's migrations.</summary>
    public void Configure(DbContextOptionsBuilder options)
    {
        if (PostgresConnectionString is { } postgres)
        {
            options.UsePostgres(postgres);
        }
        else
        {
            options.UseSqlite(SqliteConnectionString);
        }
    }

    /// <summary>Quartz's persistent job store on the chosen database; clustered on PostgreSQL (Quartz refuses to cluster on SQLite).</summary>
    public void Configure(IPersistentStoreBuilder store, TimeSpan checkinInterval, TimeSpan checkinMisfireThreshold)
    {
        if (PostgresConnectionString is { } postgres)
        {
            store.UsePostgres(postgres);
            store.UseClustering(cluster =>
            {
                cluster.CheckinInterval = checkinInterval;
                cluster.CheckinMisfireThreshold = checkinMisfireThreshold;
            });
        }
        else
        {
            store.UseSqlite(SqliteConnectionString);
        }
    }

    /// <summary>What /health and logs call the database: never the password.</summary>
    public string Description
    {
        get
        {
            if (PostgresConnectionString is not { } postgres)
            {
                return $"the SQLite database {DataFolder.DatabaseFileName} in the data folder";
            }
            var settings = new NpgsqlConnectionStringBuilder(postgres);
            return $"the PostgreSQL database '{settings.Database}' at {settings.Host}:{settings.Port}";
        }
    }

    private string SqliteConnectionString => $"Data Source={SqlitePath};Default Timeout=30";
}
