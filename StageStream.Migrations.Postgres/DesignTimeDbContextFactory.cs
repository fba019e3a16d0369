using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using StageStream.Core.Persistence;

namespace StageStream.Migrations.Postgres;

/// <summary>For <c>dotnet ef migrations add</c> in this project (see scripts/add-migration.sh); no server is contacted.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<StageStreamDbContext>
{
    public StageStreamDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<StageStreamDbContext>();
        options.UsePostgres("Host=localhost;Database=stagestream_design");
        return new(options.Options);
    }
}
