using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.Features;

namespace StageStream.Web.Edge;

/// <summary>Request body limits (section <c>Edge</c>).</summary>
public sealed class EdgeOptions
{
    public const string Section = "Edge";

    /// <summary>
    /// The largest request body any endpoint takes unless it says otherwise (the music upload does): refused with 413 from
    /// its Content-Length before it is read, or as soon as a body without one grows past it.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>What faces the network before the endpoints: limits, headers and a detail in every error.</summary>
public static class EdgeExtensions
{
    public static void AddEdge(this WebApplicationBuilder builder)
    {
        var edge = builder.Configuration.GetSection(EdgeOptions.Section).Get<EdgeOptions>() ?? new EdgeOptions();
        Validator.ValidateObject(edge, new ValidationContext(edge), validateAllProperties: true);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = edge.MaxBodyBytes);
        builder.AddRateLimits();
        builder.Services.AddHsts(hsts => hsts.MaxAge = TimeSpan.FromDays(365));
        builder.Services.Configure<ProblemDetailsOptions>(options => options.CustomizeProblemDetails = context => Explain(context));
    }

    /// <summary>Before everything that answers: the security headers, and HSTS on HTTPS (not in Development).</summary>
    public static void UseEdgeHeaders(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }
        app.UseMiddleware<SecurityHeaders>();
    }

    /// <summary>A problem that has no detail (a status code page: a path that matches nothing, a wrong method) gets one.</summary>
    private static void Explain(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (!string.IsNullOrEmpty(problem.Detail))
        {
            return;
        }
        var request = context.HttpContext.Request;
        var target = $"{request.Method} {request.Path}";
        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound =>
                $"Nothing answers {target}. Check the path against the API reference (/openapi/v1.json): ids are as the API returned them, and a shot's sequence is a whole number.",
            StatusCodes.Status405MethodNotAllowed =>
                $"{request.Method} is not allowed on {request.Path}" +
                (context.HttpContext.Response.Headers.Allow.ToString() is { Length: > 0 } allow ? $"; it allows {allow}." : "."),
            StatusCodes.Status413PayloadTooLarge => "The request body is larger than this endpoint accepts" +
                (context.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } max ? $" (at most {max:N0} bytes)." : "."),
            StatusCodes.Status415UnsupportedMediaType => "Send the body as JSON, with 'Content-Type: application/json'.",
            StatusCodes.Status401Unauthorized => "Sign in, or send an API key as 'Authorization: Bearer ...'.",
            StatusCodes.Status403Forbidden => "You may not do this.",
            StatusCodes.Status400BadRequest => "The request could not be read: check its path, query and body.",
            _ => null,
        };
    }
}
