using System.Security.Cryptography;

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
        // Hex, not base64: Razor would write a base64 '+' or '/' into the attribute as an entity.
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceKey] = nonce;
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            headers.XFrameOptions = "DENY";
            headers.ContentSecurityPolicy =
                $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
                "media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";
            return Task.CompletedTask;
        });
        return next(context);
    }

    public static string? Nonce(HttpContext? context) => context?.Items[NonceKey] as string;
}
