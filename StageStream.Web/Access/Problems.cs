using Microsoft.AspNetCore.Mvc;

namespace StageStream.Web.Access;

/// <summary>Writes a problem+json answer directly (the gate answers before any endpoint runs).</summary>
public static class Problems
{
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        Streaming.StreamCors.ApplyToProblem(context);
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        var written = await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
        if (!written)
        {
            // The client accepts no JSON (an EventSource, a browser's media request): say it anyway.
            await context.Response.WriteAsJsonAsync(new ProblemDetails { Status = status, Title = title, Detail = detail }, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
        }
    }
}
