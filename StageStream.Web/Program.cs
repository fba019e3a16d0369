using StageStream.Core.Persistence;
using StageStream.Web.Hosting;
using StageStream.Web.Jobs;

WebApplication app;
try
{
    app = StageStreamApp.Create(args);
    await app.PrepareAsync();
}
catch (DataFolderException e)
{
    // One line that says what is wrong and what to do, rather than a stack trace.
    Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss} FTL] StageStream cannot start: {e.Message}");
    return 78; // EX_CONFIG: a configuration problem the operator must fix
}
catch (Npgsql.NpgsqlException e)
{
    Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss} FTL] StageStream cannot start: the PostgreSQL database (ConnectionStrings:Postgres) cannot be used: {e.Message}");
    return 69; // EX_UNAVAILABLE: a service it needs is not there; a supervisor starts it again later
}
await app.RunAsync();
return 0;

/// <summary>Visible to the test project's <c>WebApplicationFactory</c>.</summary>
public partial class Program;
