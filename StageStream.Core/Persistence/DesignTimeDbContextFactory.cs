using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace StageStream.Core.Persistence;

/// <summary>For <c>dotnet ef migrations add</c>; the app configures its own connection.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<StageStreamDbContext>
{
    public StageStreamDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<StageStreamDbContext>().UseSqlite("Data Source=design.db").Options);
}
