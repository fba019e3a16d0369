using StageStream.Web.Hosting;
using StageStream.Web.Jobs;

var app = StageStreamApp.Create(args);
await app.PrepareAsync();
await app.RunAsync();

/// <summary>Visible to the test project's <c>WebApplicationFactory</c>.</summary>
public partial class Program;
