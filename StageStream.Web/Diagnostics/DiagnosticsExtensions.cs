namespace StageStream.Web.Diagnostics;

public static class DiagnosticsExtensions
{
    public const string EnabledKey = "Diagnostics:BenchEndpoints";

    /// <summary>
    /// The fan-out benchmark's endpoints (bench/StageStream.Bench): a driver that publishes token streams
    /// at a set rate and a memory/CPU snapshot. Mapped only with <c>Diagnostics:BenchEndpoints=true</c>:
    /// anyone who can reach them can flood every stream of the server, so a production host never has them.
    /// </summary>
    public static void MapDiagnostics(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>(EnabledKey))
        {
            return;
        }
        var group = app.MapGroup("/api/v1/diagnostics").WithTags("Diagnostics").ExcludeFromDescription();
        group.MapPost("/bench/streams", BenchDriver.RunAsync);
        group.MapGet("/memory", ProcessSnapshot.Take);
    }
}
