using System.Globalization;
using System.Security.Cryptography;
using StageStream.Web.Api;

namespace StageStream.Web.Edge;

/// <summary>
/// Headers on every answer: no MIME sniffing, no referrer beyond the site (a share link's token is in its URL), no
/// framing, and a Content-Security-Policy the pages (Blazor Server and MudBlazor) work under: scripts only from the site
/// or with this request's nonce (the import map), styles inline (MudBlazor sets them), the circuit's WebSocket to the site.
/// HSTS is added by <c>UseHsts</c> over HTTPS.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    public const string NonceKey = "csp-nonce";

    public Task InvokeAsync(HttpContext context)
    {
        if (!ApiExtensions.IsApiRequest(context))
        {
            // Only a page has scripts to allow. Hex, not base64: Razor would write a base64 '+' or '/' into the attribute as an entity.
            context.Items[NonceKey] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        }
        // Static, with the context as its state: nothing is allocated per request for it but the callback's slot, and
        // an open event stream holds that for its whole life.
        context.Response.OnStarting(static state =>
        {
            Apply((HttpContext)state);
            return Task.CompletedTask;
        }, context);
        return next(context);
    }

    private static void Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = Nonce(context) is { } nonce ? string.Format(CultureInfo.InvariantCulture, PagePolicy, nonce) : Policy;
    }

    private const string PolicyTail = "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    private const string PagePolicy = "default-src 'self'; script-src 'self' 'nonce-{0}'; " + PolicyTail;

    private const string Policy = "default-src 'self'; script-src 'self'; " + PolicyTail;

    /// <summary>The nonce a page's scripts carry; none outside pages.</summary>
    public static string? Nonce(HttpContext? context) => context?.Items.TryGetValue(NonceKey, out var nonce) == true ? nonce as string : null;
}
