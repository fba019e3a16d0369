using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using StageStream.Tests.Infrastructure;
using StageStream.Web.Jobs;
using Xunit.Abstractions;

namespace StageStream.Tests.Cluster;

/// <summary>
/// A graceful stop (SIGTERM) of an instance whose PostgreSQL went away in the middle of a run: it ends within the
/// host's shutdown timeout, and says what it could not save, rather than waiting for the database (it once hung for
/// more than ten minutes: Quartz's scheduler loop retried releasing a trigger it had reserved until its job store shut
/// down, which Quartz does only after that loop ended).
/// </summary>
public sealed class GracefulStopTests(ITestOutputHelper output) : IDisposable
{
    private const int ShutdownTimeoutSeconds = 3;

    private readonly TempFolder _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task SigtermWithPostgresGoneMidRunEndsWithinTheShutdownTimeoutAndLogsTheEventsItCouldNotStore()
    {
        var clock = Stopwatch.StartNew();
        await using var postgres = await PostgresServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = await postgres.CreateDatabaseAsync("stagestream"),
            ["shutdownTimeoutSeconds"] = ShutdownTimeoutSeconds.ToString(),
            // The rewrite streams its tokens for several seconds: PostgreSQL goes while it runs.
            ["Providers:Offline:TokensPerSecond"] = "1",
            ["Pipeline:Width"] = "640",
            ["Pipeline:Height"] = "360",
        };
        await using var app = await AppProcess.StartAsync(_data.Path, settings);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: PostgreSQL and the app are up");
        try
        {
            var created = await app.Client.PostAsJsonAsync("/api/v1/projects",
                new { name = "Stop", original_text = "The keeper climbed the stairs at dusk. He lit the lamp. At dawn the boat was safe.", target_shots = 2 });
            var projectId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            (await app.Client.PostAsync($"/api/v1/projects/{projectId}/pipeline/run", null)).EnsureSuccessStatusCode();
            await WaitForLogAsync(app, $"Stage rewrite of project {projectId} started");
            await ReserveTriggerAheadAsync(settings["ConnectionStrings:Postgres"]!);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: the scheduler reserved a trigger due in a moment");

            await postgres.DisposeAsync();
            await WaitForLogAsync(app, "Could not store");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: PostgreSQL stopped in the middle of the rewrite; SIGTERM");

            var stop = await app.TerminateAsync(TimeSpan.FromSeconds(15));
            output.WriteLine($"the app exited {stop.TotalSeconds:0.0} s after SIGTERM, with {app.ExitCode}");
            // The timeout, then Quartz's job store closing its threads (a second at most each) and the process ending,
            // with room for a loaded machine: the stop that hung took minutes.
            Assert.True(stop < TimeSpan.FromSeconds(ShutdownTimeoutSeconds + 8), $"the stop took {stop.TotalSeconds:0.0} s");
            Assert.Equal(0, app.ExitCode);
            var log = app.Log();
            Assert.Matches(@"\d+ events could not be written to the event log since \S+ UTC: the database was unreachable until the stop\. " +
                "They were never delivered to any client and are lost", log);
            Assert.DoesNotContain("Unhandled exception", log);
        }
        catch
        {
            output.WriteLine(app.Log());
            throw;
        }
    }

    /// <summary>
    /// Stores a job with a trigger due in 5 s, as Quartz's tables hold it, and waits until the scheduler reserved it:
    /// a scheduler looks ahead for triggers due within its idle wait (2 s on PostgreSQL) and waits for their time.
    /// Stopped then, it releases the trigger, retrying on a database that is gone until its job store shuts down,
    /// which Quartz does only after that: the stop that hung (StageJobKeeper.StopAsync). A trigger not seen reserved
    /// in time (on a busy machine) is taken back before it fires, and another one tried.
    /// </summary>
    private static async Task ReserveTriggerAheadAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var job = typeof(StageJob);
        // A scheduler polls every 1.6-2 s, so a trigger is reserved in the window the loop below watches only
        // about two times in three: enough attempts make missing them all unlikely (0.35^10).
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            var name = $"ahead{attempt}";
            var due = DateTimeOffset.UtcNow.AddSeconds(5);
            await ExecuteAsync(connection, $"""
                INSERT INTO qrtz_job_details (sched_name, job_name, job_group, job_class_name, is_durable, is_nonconcurrent, is_update_data, requests_recovery)
                    VALUES ('StageStream', '{name}', 'probe', '{job.FullName}, {job.Assembly.GetName().Name}', true, false, false, false);
                INSERT INTO qrtz_triggers (sched_name, trigger_name, trigger_group, job_name, job_group, next_fire_time, prev_fire_time, priority, trigger_state, trigger_type, start_time, misfire_instr)
                    VALUES ('StageStream', '{name}', 'probe', '{name}', 'probe', {due.UtcTicks}, -1, 5, 'WAITING', 'SIMPLE', {due.UtcTicks}, 0);
                INSERT INTO qrtz_simple_triggers (sched_name, trigger_name, trigger_group, repeat_count, repeat_interval, times_triggered)
                    VALUES ('StageStream', '{name}', 'probe', 0, 0, 0);
                """);
            await using var state = new NpgsqlCommand($"SELECT trigger_state FROM qrtz_triggers WHERE trigger_name = '{name}'", connection);
            while (DateTimeOffset.UtcNow < due - TimeSpan.FromSeconds(0.7))
            {
                if ((string?)await state.ExecuteScalarAsync() == "ACQUIRED")
                {
                    return;
                }
                await Task.Delay(20);
            }
            if (await ExecuteAsync(connection, $"DELETE FROM qrtz_triggers WHERE trigger_name = '{name}' AND trigger_state = 'WAITING'") == 0)
            {
                Assert.Equal("ACQUIRED", (string?)await state.ExecuteScalarAsync());
                return;
            }
            await ExecuteAsync(connection, $"DELETE FROM qrtz_job_details WHERE job_name = '{name}'");
        }
        Assert.Fail("the scheduler reserves a trigger ahead of its time");
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    private static async Task WaitForLogAsync(AppProcess app, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!app.Log().Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the log shows '{text}'");
            Assert.False(app.HasExited, "the app is running");
            await Task.Delay(50);
        }
    }
}
