namespace StageStream.Web.Components;

public static class UiExtensions
{
    /// <summary>MudBlazor pages with interactive server rendering (issue 4).</summary>
    public static void AddUi(this WebApplicationBuilder builder)
    {
    }

    public static void MapUi(this WebApplication app)
    {
        app.UseStaticFiles();
    }
}
