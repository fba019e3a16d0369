using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Web.Api;

/// <summary>The one place exceptions become HTTP answers: domain refusals and unreadable requests are 4xx problem+json.</summary>
public sealed class ProblemExceptionHandler(
    IProblemDetailsService problems, IOptions<StorageOptions> storage, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!ApiExtensions.IsApiRequest(context))
        {
            // A page: the exception handler shows the error page (/error) instead.
            logger.LogError(exception, "Unhandled exception for page {Path}", context.Request.Path);
            return false;
        }
        var fault = StorageFaults.AsFault(exception, storage.Value.DataPath);
        var (status, title, detail) = exception switch
        {
            // Nothing was stored (SQLite rolls the write back; media are written to .part files first).
            _ when fault is not null => (fault.Full ? StatusCodes.Status507InsufficientStorage : StatusCodes.Status503ServiceUnavailable, fault.Title, fault.Message),
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
        if (fault is not null)
        {
            // SQLite opens a database it cannot write read-only, and a pooled connection stays so: drop the idle
            // ones, so the first request after the folder is fixed opens it afresh.
            StorageFaults.ForgetReadOnlyConnections();
            logger.LogWarning("{Method} {Path} refused: {Detail} ({Error})", context.Request.Method, context.Request.Path, detail, exception.GetBaseException().Message);
        }
        else if (status >= 500)
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
