using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace StageStream.Web.Health;

/// <summary>
/// The health report as JSON: overall status, then each check's status and description. The checks (with paths, counts
/// and versions) only for a request from this machine or an admin; anyone else gets the overall status alone.
/// </summary>
public static class HealthResponseWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        if (!MaySeeDetails(context))
        {
            return context.Response.WriteAsync(JsonSerializer.Serialize(new HealthReportDto(report.Status.ToString(), null, null), HealthJsonContext.Default.HealthReportDto));
        }
        var body = new HealthReportDto(
            report.Status.ToString(),
            Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            [.. report.Entries.Select(entry => new HealthCheckDto(
                entry.Key,
                entry.Value.Status.ToString(),
                entry.Value.Description ?? entry.Value.Exception?.Message,
                Math.Round(entry.Value.Duration.TotalMilliseconds, 1),
                entry.Value.Data.Count == 0 ? null : entry.Value.Data.ToDictionary(d => d.Key, d => d.Value?.ToString())))]);
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, HealthJsonContext.Default.HealthReportDto));
    }

    /// <summary>
    /// This machine (but not a request a reverse proxy on this machine passed on: it carries X-Forwarded-For or
    /// Forwarded), or an admin.
    /// </summary>
    private static bool MaySeeDetails(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address && System.Net.IPAddress.IsLoopback(address)
            && !context.Request.Headers.ContainsKey("X-Forwarded-For") && !context.Request.Headers.ContainsKey("Forwarded")
        || context.User.IsInRole(StageStream.Core.Accounts.Roles.Admin) && context.User.FindFirst(Access.Via.ProjectClaim) is null;
}

public sealed record HealthReportDto(string Status, double? TotalDurationMs, List<HealthCheckDto>? Checks);

public sealed record HealthCheckDto(string Name, string Status, string? Description, double DurationMs, Dictionary<string, string?>? Data);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HealthReportDto))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
