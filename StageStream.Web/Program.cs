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
await app.RunAsync();
return 0;

/// <summary>Visible to the test project's <c>WebApplicationFactory</c>.</summary>
public partial class Program;
