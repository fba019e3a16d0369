using Microsoft.AspNetCore.Localization;
using MudBlazor.Services;
using StageStream.Web.Components.Shared;
using StageStream.Web.Streaming;

namespace StageStream.Web.Components;

public static class UiExtensions
{
    /// <summary>MudBlazor pages with interactive server rendering, in English and Simplified Chinese (issue 4).</summary>
    public static void AddUi(this WebApplicationBuilder builder)
    {
        // Outside Development the host does not read the static web assets manifest, so a build
        // output run (tests, `dotnet run -c Release`) would miss _framework/blazor.web.js and
        // MudBlazor's files. A no-op after publish, where wwwroot holds everything.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddLocalization();
        builder.Services.AddSingleton<UiText>();
        builder.Services.AddTransient<MudBlazor.MudLocalizer, MudTexts>();
        builder.Services.AddScoped<ProjectActions>();
    }

    public static void MapUi(this WebApplication app)
    {
        app.UseExceptForEventStreams(localized => localized.UseRequestLocalization(options =>
        {
            var cultures = UiText.Cultures.ToArray();
            options.SetDefaultCulture(cultures[0]).AddSupportedCultures(cultures).AddSupportedUICultures(cultures);
            // Query string (?culture=zh-CN), then the switch's cookie, then the browser's languages.
            options.RequestCultureProviders = [new QueryStringRequestCultureProvider(), new CookieRequestCultureProvider()];
            options.RequestCultureProviders.Add(new CustomRequestCultureProvider(context =>
                Task.FromResult(UiText.FromAcceptLanguage(context.Request.Headers.AcceptLanguage.ToString()) is { } culture
                    ? new ProviderCultureResult(culture) : null)));
        }));
        // Only forms need it; an event stream is a GET without one.
        app.UseExceptForEventStreams(forms => forms.UseAntiforgery());
        app.MapStaticAssets().AllowAnonymous();
        app.MapGet("/culture/{culture}", (string culture, string? returnUrl, HttpContext context) =>
        {
            if (UiText.Cultures.Contains(culture))
            {
                context.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                    CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                    new CookieOptions { MaxAge = TimeSpan.FromDays(365), IsEssential = true, SameSite = SameSiteMode.Lax });
            }
            // Only a local path: the switch must not become an open redirect.
            return Results.LocalRedirect(returnUrl is { Length: > 0 } && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") ? returnUrl : "/");
        }).ExcludeFromDescription().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
    }
}
