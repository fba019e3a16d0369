using Microsoft.EntityFrameworkCore;

namespace StageStream.Migrations.Postgres;

public static class PostgresDatabase
{
    /// <summary>EF Core on PostgreSQL (Npgsql), with the migrations of this assembly.</summary>
    public static DbContextOptionsBuilder UsePostgres(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(typeof(PostgresDatabase).Assembly.GetName().Name));
}
