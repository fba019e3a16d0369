using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using StageStream.Core.Events;
using StageStream.Core.Events.Log;
using StageStream.Tests.Infrastructure;
using StageStream.Tests.Streaming;

namespace StageStream.Tests.EventLog;

/// <summary>The durable event log: events stored in the database before anyone sees them, ids that keep increasing across restarts, failures that reach the publisher.</summary>
public sealed class DurableLogTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task PublishedEventsAreStoredAndReadBackAsPublished()
    {
        await using var log = EventLogHost.Start(_folder.Path);
        var script = new EventScript(log.Publisher, "project-1");
        var run = EventScript.NewRunId();
        var published = new List<StageEvent>
        {
            await script.StageUpdateAsync("rewrite", run, "processing", pipelineRunId: "pipe-1"),
            await script.TokenAsync("rewrite", run, "从前 ", pipelineRunId: "pipe-1"),
            await script.PublishAsync("rewrite", run, EventTypes.Token, "pipe-1", e => e with { Content = "there", FullText = "从前 there" }),
            await script.PublishAsync("image_generation", run, EventTypes.ItemCompleted, "pipe-1",
                e => e with { ItemType = "image", SequenceNumber = 3, Metadata = new JsonObject { ["url"] = "/media/p/3.png" } }),
        };

        var rows = await log.WithDbAsync(db => db.Events.AsNoTracking().Where(e => e.ProjectId == "project-1").OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(published.Select(e => e.Id), rows.Select(r => r.Id));
        Assert.Equal(["stage_update", "token", "token", "item_completed"], rows.Select(r => r.Type));
        Assert.All(rows, r => Assert.Equal(run, r.RunId));
        Assert.All(rows, r => Assert.Equal("pipe-1", r.PipelineRunId));
        // Tokens are stored as their delta only.
        Assert.DoesNotContain("full_text", rows[2].Payload);
        Assert.Contains("\"content\":\"there\"", rows[2].Payload);

        var read = await log.Transport.ReadAsync("project-1", 0, CancellationToken.None);
        Assert.Equal(published.Select(e => e with { FullText = e.Type == EventTypes.Token ? null : e.FullText, Metadata = null }),
            read.Select(e => e with { Metadata = null }));
        Assert.Equal("/media/p/3.png", read[3].Metadata!["url"]!.GetValue<string>());
        Assert.Equal(published.Skip(2).Select(e => e.Id), (await log.Transport.ReadAsync("project-1", published[1].Id, CancellationToken.None)).Select(e => e.Id));
    }

    [Fact]
    public async Task IdsContinueFromTheLargestStoredIdAfterARestart()
    {
        // An id far ahead of the clock, as a previous run of the server could leave: the next ids must pass it.
        var ahead = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds() * 1000;
        long first;
        await using (var log = EventLogHost.Start(_folder.Path))
        {
            var script = new EventScript(log.Publisher, "p");
            first = (await script.TokenAsync("rewrite", "run-1", "a")).Id;
            await log.WithDbAsync(async db =>
            {
                db.Events.Add(StoredEvent.From(new StageEvent { Id = ahead, Type = "token", ProjectId = "p", Stage = "rewrite", RunId = "run-1", Content = "b" }));
                return await db.SaveChangesAsync();
            });
        }

        await using (var restarted = EventLogHost.Start(_folder.Path))
        {
            var next = await new EventScript(restarted.Publisher, "p").TokenAsync("rewrite", "run-1", "c");
            Assert.Equal(ahead + 1, next.Id);
            var all = await restarted.Transport.ReadAsync("p", 0, CancellationToken.None);
            Assert.Equal([first, ahead, ahead + 1], all.Select(e => e.Id));
            Assert.Equal(["a", "b", "c"], all.Select(e => e.Content));
        }
    }

    [Fact]
    public async Task ASubscriberNeverSeesAnEventThatIsNotYetInTheDatabase()
    {
        await using var log = EventLogHost.Start(_folder.Path);
        await using var subscription = await log.Subscriptions.SubscribeAsync("p", null, afterId: 0, CancellationToken.None);
        await using var reader = new SqliteConnection($"Data Source={log.DatabasePath};Mode=ReadOnly");
        await reader.OpenAsync();
        const int publishers = 8, perPublisher = 40;
        var notStored = new List<long>();
        var seen = 0;
        var watching = Task.Run(async () =>
        {
            using var cancel = new CancellationTokenSource(Timeout);
            await foreach (var delivered in subscription.ReadAllAsync(cancel.Token))
            {
                // Read on a connection of its own, the moment the event arrives.
                await using var query = reader.CreateCommand();
                query.CommandText = "SELECT COUNT(*) FROM Events WHERE ProjectId = 'p' AND Id = $id";
                query.Parameters.AddWithValue("$id", delivered.Id);
                if ((long)(await query.ExecuteScalarAsync())! != 1)
                {
                    notStored.Add(delivered.Id);
                }
                if (++seen == publishers * perPublisher)
                {
                    break;
                }
            }
        });
        // Another writer holds the database for a moment, so the publishers' appends are sure to queue up meanwhile
        // (on a quick disk each could otherwise be committed before the next arrives).
        await using var blocker = new SqliteConnection($"Data Source={log.DatabasePath}");
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }
        var publishing = Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            var script = new EventScript(log.Publisher, "p");
            for (var i = 0; i < perPublisher; i++)
            {
                await script.TokenAsync("rewrite", $"run-{p}", "x");
            }
        })));
        await Task.Delay(300);
        await using (var commit = blocker.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            await commit.ExecuteNonQueryAsync();
        }
        await publishing.WaitAsync(Timeout);
        await watching.WaitAsync(Timeout);

        Assert.Empty(notStored);
        Assert.Equal(publishers * perPublisher, seen);
        // Concurrent publishers share commits.
        Assert.True(log.Transport.WriterStatistics.Commits < publishers * perPublisher, $"{log.Transport.WriterStatistics}");
    }

    [Fact]
    public async Task AFailedWriteIsThrownToItsPublisherIsNeverDeliveredAndTheLogGoesOn()
    {
        await using var log = EventLogHost.Start(_folder.Path);
        await using var subscription = await log.Subscriptions.SubscribeAsync("p", "rewrite", afterId: 0, CancellationToken.None);
        var script = new EventScript(log.Publisher, "p");
        var before = await script.TokenAsync("rewrite", "run-1", "one ");
        // The database refuses the next write, as a full disk would.
        await Sql(log, "CREATE TRIGGER refuse BEFORE INSERT ON Events WHEN NEW.Payload LIKE '%refused%' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => script.TokenAsync("rewrite", "run-1", "refused "));
        Assert.Contains("database or disk is full", failure.ToString());
        var after = await script.TokenAsync("rewrite", "run-1", "two");
        await Sql(log, "DROP TRIGGER refuse;");
        var later = await script.DoneAsync("rewrite", "run-1", "one two");

        var received = new List<DeliveredEvent>();
        using var cancel = new CancellationTokenSource(Timeout);
        await foreach (var delivered in subscription.ReadAllAsync(cancel.Token))
        {
            received.Add(delivered);
        }
        Assert.Equal([before.Id, after.Id, later.Id], received.Select(e => e.Id));
        Assert.True(before.Id < after.Id && after.Id < later.Id);
        Assert.Equal("one two", received[1].FullText);
        Assert.Equal([before.Id, after.Id, later.Id], (await log.Transport.ReadAsync("p", 0, CancellationToken.None)).Select(e => e.Id));
    }

    [Fact]
    public async Task AWatchedProjectIsReadFromMemoryAndReleasedWhenNobodyWatches()
    {
        await using var log = EventLogHost.Start(_folder.Path);
        var script = new EventScript(log.Publisher, "p");
        await script.TextRunAsync("rewrite", "run-1", ["a", "b"]);
        var subscription = await log.Subscriptions.SubscribeAsync("p", "rewrite", null, CancellationToken.None);
        // The rows go (as if pruned): a watched project's replay comes from memory, not the database.
        await Sql(log, "DELETE FROM Events;");
        await using (var second = await log.Subscriptions.SubscribeAsync("p", "rewrite", null, CancellationToken.None))
        {
            Assert.Equal(6, await CountAsync(second));
        }
        await subscription.DisposeAsync();

        // Unwatched now: its events are dropped from memory, and the next read goes to the database.
        Assert.Empty(await log.Transport.ReadAsync("p", 0, CancellationToken.None));
    }

    private static async Task<int> CountAsync(EventSubscription subscription)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        var count = 0;
        await foreach (var _ in subscription.ReadAllAsync(cancel.Token))
        {
            count++;
        }
        return count;
    }

    private static Task<int> Sql(EventLogHost log, string sql) => log.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(sql));
}
