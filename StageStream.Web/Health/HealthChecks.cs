using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Quartz;
using StageStream.Core.Persistence;

namespace StageStream.Web.Health;

/// <summary>The database answers a query on its schema.</summary>
public sealed class DatabaseHealthCheck(StageStreamDbContext db, DataFolder data) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var projects = await db.Projects.CountAsync(cancellationToken);
            return HealthCheckResult.Healthy(
                $"SQLite database {data.DatabasePath} answered in {watch.Elapsed.TotalMilliseconds:0} ms.",
                new Dictionary<string, object> { ["projects"] = projects });
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            return HealthCheckResult.Unhealthy($"The SQLite database {data.DatabasePath} cannot be read: {ex.Message}", ex);
        }
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
