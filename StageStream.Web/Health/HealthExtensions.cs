namespace StageStream.Web.Health;

public static class HealthExtensions
{
    public static void AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks();
    }

    public static void MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health");
    }
}
