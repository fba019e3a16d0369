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
            // Nothing was stored (SQLite rolls the write back; media are written to .part files first).
            _ when StorageFaults.IsDiskFull(exception) => (StatusCodes.Status507InsufficientStorage, "Data folder full",
                $"The data folder '{storage.Value.DataPath}' (Storage:DataPath) is full, so nothing was stored. " +
                "Free space on its disk (or move the data folder to a larger disk), then try again."),
            _ when StorageFaults.IsUnwritable(exception) => (StatusCodes.Status503ServiceUnavailable, "Data folder not writable",
                $"The data folder '{storage.Value.DataPath}' (Storage:DataPath) cannot be written: {StorageFaults.Describe(exception)}, so nothing was stored. " +
                "Make it writable for the user running StageStream, then try again."),
            _ => (StatusCodes.Status500InternalServerError, "Unexpected error", "The server failed to handle the request; the log has the details."),
        };
        if (status is StatusCodes.Status507InsufficientStorage or StatusCodes.Status503ServiceUnavailable)
        {
            // SQLite opens a database it cannot write read-only, and a pooled connection stays so: drop the idle
            // ones, so the first request after the folder is fixed opens it afresh.
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
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
