using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using StageStream.Core.Projects;

namespace StageStream.Web.Api;

/// <summary>The one place exceptions become HTTP answers: domain refusals and unreadable requests are 4xx problem+json.</summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            NotFoundException e => (StatusCodes.Status404NotFound, e.Title, e.Message),
            ConflictException e => (StatusCodes.Status409Conflict, e.Title, e.Message),
            InvalidInputException { TooLarge: true } e => (StatusCodes.Status413PayloadTooLarge, e.Title, e.Message),
            InvalidInputException e => (StatusCodes.Status400BadRequest, e.Title, e.Message),
            DbUpdateConcurrencyException => (StatusCodes.Status409Conflict, "Changed meanwhile",
                "Another request started, cancelled or changed this project at the same moment. Reload it and try again."),
            BadHttpRequestException e when e.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                (StatusCodes.Status413PayloadTooLarge, "Request too large", e.Message),
            BadHttpRequestException e => (e.StatusCode, "Malformed request", Describe(e)),
            _ => (StatusCodes.Status500InternalServerError, "Unexpected error", "The server failed to handle the request; the log has the details."),
        };
        if (status >= 500)
        {
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);
        }
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    private static string Describe(BadHttpRequestException exception) =>
        exception.InnerException is System.Text.Json.JsonException json
            ? $"The request body is not valid JSON: {json.Message}"
            : exception.Message;
}
