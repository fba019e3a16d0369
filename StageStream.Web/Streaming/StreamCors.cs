using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace StageStream.Web.Streaming;

/// <summary>
/// The streams' CORS headers. The old views wrote them on every response, with or without an
/// <c>Origin</c> header, and clients and proxies in the field were set up against that; the
/// framework's middleware writes them only for cross-origin requests, so the streams apply the
/// registered policy themselves.
/// </summary>
public sealed class StreamCors(IOptions<CorsOptions> options)
{
    public const string PolicyName = "Streams";
    public const string ConfigurationKey = "Cors:AllowedOrigins";

    private const string AllowedMethods = "GET";
    private const string AllowedHeaders = "Content-Type, Last-Event-ID";

    /// <summary>
    /// The policy from <c>Cors:AllowedOrigins</c>: <c>*</c> (the default, as in the seed), a list
    /// separated by commas, or an array of origins.
    /// </summary>
    public static void AddPolicy(CorsOptions cors, IConfiguration configuration)
    {
        var section = configuration.GetSection(ConfigurationKey);
        var origins = (section.GetChildren().Any()
                ? section.GetChildren().Select(child => child.Value ?? "")
                : (section.Value ?? "*").Split([',', ';']))
            .Select(origin => origin.Trim().TrimEnd('/'))
            .Where(origin => origin.Length > 0)
            .ToArray();
        cors.AddPolicy(PolicyName, policy =>
        {
            if (origins.Length == 0 || origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                // Named origins may send the sign-in cookie: EventSource(url, { withCredentials: true }).
                policy.WithOrigins(origins).AllowCredentials();
            }
            policy.WithMethods(AllowedMethods).WithHeaders("Content-Type", "Last-Event-ID");
        });
    }

    /// <summary>A problem answered to a stream request (refused or failed): a cross-origin client may read why.</summary>
    public static void ApplyToProblem(HttpContext context)
    {
        if (StageStream.Web.Access.Paths.IsStream(context.Request.Path))
        {
            context.RequestServices.GetRequiredService<StreamCors>().Apply(context);
        }
    }

    public void Apply(HttpContext context)
    {
        var policy = options.Value.GetPolicy(PolicyName)!;
        var headers = context.Response.Headers;
        if (policy.AllowAnyOrigin)
        {
            headers.AccessControlAllowOrigin = "*";
        }
        else
        {
            headers.Vary = "Origin";
            var origin = context.Request.Headers.Origin.ToString();
            if (origin.Length > 0 && policy.IsOriginAllowed(origin))
            {
                headers.AccessControlAllowOrigin = origin;
                if (policy.SupportsCredentials)
                {
                    headers.AccessControlAllowCredentials = "true";
                }
            }
        }
        headers.AccessControlAllowMethods = AllowedMethods;
        headers.AccessControlAllowHeaders = AllowedHeaders;
    }
}
