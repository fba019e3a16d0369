using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Quartz;
using StageStream.Core.Persistence;
using StageStream.Web.Database;

namespace StageStream.Web.Health;

/// <summary>The database (SQLite or PostgreSQL) answers a query on its schema.</summary>
public sealed class DatabaseHealthCheck(StageStreamDbContext db, DatabaseChoice database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var projects = await db.Projects.CountAsync(cancellationToken);
            return HealthCheckResult.Healthy(
                $"{Capitalized(database.Description)} answered in {watch.Elapsed.TotalMilliseconds:0} ms.",
                new Dictionary<string, object> { ["projects"] = projects, ["provider"] = database.IsPostgres ? "postgresql" : "sqlite" });
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or System.Data.Common.DbException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"{Capitalized(database.Description)} cannot be read: {ex.Message}", ex);
        }
    }

    private static string Capitalized(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}

/// <summary>
/// The data folder takes writes and has at least <c>Storage:MinFreeMegabytes</c> free. Described by its setting,
/// not its absolute path, since /health answers anyone.
/// </summary>
public sealed class DataFolderHealthCheck(DataFolder data, IOptions<StorageOptions> options) : IHealthCheck
{
    private const long Megabyte = 1024 * 1024;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var minimum = options.Value.MinFreeMegabytes;
        if (data.WriteProblem() is { } problem)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"The data folder (Storage:DataPath) cannot be written: {problem}. " +
                (problem == StorageFaults.Full ? "Free space on its disk." : "Make it writable for the user running StageStream.")));
        }
        var free = data.FreeBytes / Megabyte;
        var facts = new Dictionary<string, object> { ["free_mb"] = free, ["min_free_mb"] = minimum };
        return Task.FromResult(free < minimum
            ? HealthCheckResult.Unhealthy(
                $"The data folder (Storage:DataPath) has {free} MB free, below Storage:MinFreeMegabytes ({minimum} MB): free space on its disk before writes fail.",
                data: facts)
            : HealthCheckResult.Healthy($"The data folder (Storage:DataPath) is writable and has {free} MB free.", facts));
    }
}

/// <summary>The Quartz scheduler that runs every stage is started and not in standby.</summary>
public sealed class SchedulerHealthCheck(ISchedulerFactory schedulers) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var status = await scheduler.GetStatus(cancellationToken);
        return status == SchedulerStatus.Running
            ? HealthCheckResult.Healthy($"The Quartz scheduler '{scheduler.SchedulerName}' is running.")
            : HealthCheckResult.Unhealthy($"The Quartz scheduler '{scheduler.SchedulerName}' is {status}, not running; stages cannot run.");
    }
}

/// <summary>ffmpeg on PATH: without it the camera and video stages fail (the rest of the app works).</summary>
public sealed class FfmpegHealthCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var found = Find("ffmpeg");
        return Task.FromResult(found is null
            ? HealthCheckResult.Degraded("ffmpeg was not found on PATH; the camera_movement and video_generation stages will fail. Install ffmpeg.")
            : HealthCheckResult.Healthy($"ffmpeg found at {found}.", new Dictionary<string, object> { ["path"] = found }));
    }

    public static string? Find(string program)
    {
        var names = OperatingSystem.IsWindows() ? new[] { program + ".exe", program } : [program];
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in names)
            {
                var candidate = Path.Combine(folder, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}
