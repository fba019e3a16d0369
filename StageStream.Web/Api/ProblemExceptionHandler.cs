using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Web.Api;

/// <summary>The one place exceptions become HTTP answers: domain refusals and unreadable requests are 4xx problem+json.</summary>
public sealed partial class ProblemExceptionHandler(
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
            Access.AccessFailure e => (e.Status, e.Title, e.Message),
            ConflictException e => (StatusCodes.Status409Conflict, e.Title, e.Message),
            InvalidInputException { TooLarge: true } e => (StatusCodes.Status413PayloadTooLarge, e.Title, e.Message),
            InvalidInputException e => (StatusCodes.Status400BadRequest, e.Title, e.Message),
            // PostgreSQL unreachable (a failover, a restart, a network cut): nothing of the request was stored.
            _ when Chain(exception).Any(e => e is Npgsql.NpgsqlException { IsTransient: true }) => (StatusCodes.Status503ServiceUnavailable,
                "Database unavailable", "The database (PostgreSQL) cannot be reached at the moment, so nothing was stored. Try again shortly."),
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
        Streaming.StreamCors.ApplyToProblem(context);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    private static IEnumerable<Exception> Chain(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            yield return exception;
        }
    }

    /// <summary>What was wrong with the request, in the API's terms rather than the framework's (no C# types or parameter names).</summary>
    internal static string Describe(BadHttpRequestException exception)
    {
        if (exception.InnerException is System.Text.Json.JsonException json)
        {
            var path = json.Path is { Length: > 0 } p && p != "$" ? $" at {p}" : "";
            return json.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"The JSON body has a value of the wrong type{path}: check the field's type in the API reference."
                : $"The request body is not valid JSON{path}.";
        }
        var message = exception.Message;
        if (BindFailure().Match(message) is { Success: true } bind)
        {
            return $"'{bind.Groups["name"].Value}' cannot be '{bind.Groups["value"].Value}': {Expected(bind.Groups["type"].Value)}.";
        }
        if (RequiredMissing().Match(message) is { Success: true } missing)
        {
            return $"'{missing.Groups["name"].Value}' is required.";
        }
        if (message.StartsWith("Implicit body inferred", StringComparison.Ordinal) || message.Contains("body was not provided", StringComparison.Ordinal)
            || message.Contains("request body", StringComparison.OrdinalIgnoreCase) && message.Contains("empty", StringComparison.OrdinalIgnoreCase))
        {
            return "This request needs a JSON body.";
        }
        if (message.StartsWith("Expected a supported JSON media type", StringComparison.Ordinal))
        {
            return "Send the body as JSON, with 'Content-Type: application/json'.";
        }
        return exception.StatusCode == StatusCodes.Status413PayloadTooLarge ? message : "The request could not be read: check its path, query and body.";
    }

    private static string Expected(string type) => type switch
    {
        _ when type.Contains("bool", StringComparison.OrdinalIgnoreCase) => "give true or false",
        _ when type.Contains("int", StringComparison.OrdinalIgnoreCase) || type.Contains("long", StringComparison.OrdinalIgnoreCase) => "give a whole number",
        _ when type.Contains("double", StringComparison.OrdinalIgnoreCase) => "give a number",
        _ => "give a value of the right kind",
    };

    [System.Text.RegularExpressions.GeneratedRegex("Failed to bind parameter \"(?<type>[^\"]*) (?<name>[A-Za-z0-9_]+)\" from \"(?<value>[^\"]*)\"")]
    private static partial System.Text.RegularExpressions.Regex BindFailure();

    [System.Text.RegularExpressions.GeneratedRegex("""Required parameter "(?<type>[^"]*) (?<name>[A-Za-z0-9_]+)" was not provided""")]
    private static partial System.Text.RegularExpressions.Regex RequiredMissing();
}
