using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Quartz;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Web.Database;

namespace StageStream.Web.Health;

/// <summary>
/// The Quartz cluster on PostgreSQL: the instances that checked in (Quartz's <c>qrtz_scheduler_state</c>), and
/// whether this one is among the live ones. An instance is live while its last check-in is younger than its
/// check-in interval plus <c>Pipeline:ClusterCheckinMisfireSeconds</c>; after that the others recover its jobs.
/// </summary>
public sealed class ClusterHealthCheck(ISchedulerFactory schedulers, DatabaseChoice database, IOptions<PipelineOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var instances = new List<(string Name, TimeSpan Age, bool Live)>();
        try
        {
            await using var connection = new NpgsqlConnection(database.PostgresConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var query = new NpgsqlCommand(
                "SELECT instance_name, last_checkin_time, checkin_interval FROM qrtz_scheduler_state WHERE sched_name = @name ORDER BY instance_name", connection);
            query.Parameters.AddWithValue("name", scheduler.SchedulerName);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            var now = DateTime.UtcNow.Ticks;
            var threshold = TimeSpan.FromSeconds(options.Value.ClusterCheckinMisfireSeconds);
            while (await reader.ReadAsync(cancellationToken))
            {
                var age = TimeSpan.FromTicks(now - reader.GetInt64(1));
                instances.Add((reader.GetString(0), age, age < TimeSpan.FromMilliseconds(reader.GetInt64(2)) + threshold));
            }
        }
        catch (NpgsqlException ex)
        {
            return HealthCheckResult.Unhealthy($"The Quartz cluster's state cannot be read from {database.Description}: {ex.Message}", ex);
        }
        var self = scheduler.SchedulerInstanceId;
        var live = instances.Where(i => i.Live).Select(i => i.Name).ToList();
        var data = new Dictionary<string, object>
        {
            ["instance"] = self,
            ["instances"] = live.Count,
            ["live"] = string.Join(", ", live),
            ["silent"] = string.Join(", ", instances.Where(i => !i.Live).Select(i => $"{i.Name} ({i.Age.TotalSeconds:0} s)")),
        };
        return live.Contains(self)
            ? HealthCheckResult.Healthy($"The Quartz cluster '{scheduler.SchedulerName}' has {live.Count} live instances; this one is {self}.", data)
            : HealthCheckResult.Unhealthy($"This instance ({self}) has not checked in to the Quartz cluster '{scheduler.SchedulerName}' recently; " +
                "the others may take over its stage jobs.", data: data);
    }
}

/// <summary>
/// The media store (<c>Storage:MediaRoot</c>, or the data folder's <c>media</c>) takes writes, reads them back, and has
/// room. On several hosts it is the shared mount: a host that lost it cannot write or serve frames, clips and films.
/// </summary>
public sealed class MediaStoreHealthCheck(DataFolder data, IOptions<StorageOptions> options) : IHealthCheck
{
    private const long Megabyte = 1024 * 1024;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var setting = data.MediaIsShared ? "Storage:MediaRoot" : "Storage:DataPath, its media folder";
        if (data.MediaWriteProblem() is { } problem)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"The media store ({setting}) cannot be written: {problem}. " +
                (data.MediaIsShared ? "Check that the shared volume is mounted and writable for the user running StageStream." : "Make it writable.")));
        }
        var free = data.MediaFreeBytes / Megabyte;
        var minimum = options.Value.MinFreeMegabytes;
        var facts = new Dictionary<string, object> { ["shared"] = data.MediaIsShared, ["free_mb"] = free, ["min_free_mb"] = minimum };
        return Task.FromResult(free < minimum
            ? HealthCheckResult.Unhealthy($"The media store ({setting}) has {free} MB free, below Storage:MinFreeMegabytes ({minimum} MB).", data: facts)
            : HealthCheckResult.Healthy($"The media store ({setting}) is writable and has {free} MB free.", facts));
    }
}
