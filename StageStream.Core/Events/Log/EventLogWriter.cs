using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StageStream.Core.Persistence;

namespace StageStream.Core.Events.Log;

/// <summary>
/// The one writer of the event log: takes every append waiting in its queue (up to
/// <see cref="MaxBatch"/>) and stores them in one transaction, then reports the batch, in queue order.
/// There is no timer: a batch is whatever queued while the previous one was being committed, so a lone
/// event is written at once and a burst shares one commit.
/// </summary>
internal sealed class EventLogWriter : IAsyncDisposable, IDisposable
{
    public const int MaxBatch = 256;

    private readonly Channel<PendingAppend> _queue = Channel.CreateUnbounded<PendingAppend>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger _logger;
    private readonly Action<List<PendingAppend>> _committed;
    private readonly Task _loop;

    /// <param name="committed">Called on the writer's thread after each commit, with the batch in queue order; must not throw.</param>
    public EventLogWriter(IServiceScopeFactory scopes, ILogger logger, Action<List<PendingAppend>> committed)
    {
        _scopes = scopes;
        _logger = logger;
        _committed = committed;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Batches committed since start, and events in them (for tests and the benchmark).</summary>
    public long Commits { get; private set; }

    public long CommittedEvents { get; private set; }

    /// <summary>Queues an append; false once the writer is stopping.</summary>
    public bool TryEnqueue(PendingAppend append) => _queue.Writer.TryWrite(append);

    private async Task RunAsync()
    {
        var batch = new List<PendingAppend>(MaxBatch);
        Session? session = null;
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var append))
            {
                batch.Add(append);
            }
            try
            {
                session ??= await Session.OpenAsync(_scopes);
                await session.SaveAsync(batch);
            }
            catch (Exception exception)
            {
                // Nothing of the batch is stored, so nothing of it is delivered: each publisher gets the
                // failure (e.g. a full disk) and the loop goes on with a fresh connection.
                _logger.LogError(exception, "Could not store {Count} events in the event log", batch.Count);
                await DisposeQuietlyAsync(session);
                session = null;
                foreach (var append in batch)
                {
                    append.Fail(exception);
                }
                batch.Clear();
                continue;
            }
            Commits++;
            CommittedEvents += batch.Count;
            try
            {
                _committed(batch);
            }
            catch (Exception exception)
            {
                // A bug, not a storage failure: the events are stored, but their publishers must not hang.
                _logger.LogError(exception, "Delivering committed events failed");
                foreach (var append in batch)
                {
                    append.TrySetException(exception);
                }
            }
            batch.Clear();
        }
        await DisposeQuietlyAsync(session);
    }

    private async Task DisposeQuietlyAsync(Session? session)
    {
        if (session is null)
        {
            return;
        }
        try
        {
            await session.DisposeAsync();
        }
        catch (Exception exception)
        {
            _logger.LogDebug(exception, "Closing the event log's connection failed");
        }
    }

    /// <summary>Stops taking appends and waits until every queued one is stored (or has failed).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The writer's own context and open connection, kept across batches.</summary>
    private sealed class Session(AsyncServiceScope scope, StageStreamDbContext db) : IAsyncDisposable
    {
        public static async Task<Session> OpenAsync(IServiceScopeFactory scopes)
        {
            var scope = scopes.CreateAsyncScope();
            try
            {
                var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
                db.ChangeTracker.AutoDetectChangesEnabled = false;
                await db.Database.OpenConnectionAsync();
                if (db.Database.IsSqlite())
                {
                    // In WAL mode a commit is then durable against any crash of the process (the WAL
                    // write is in the OS), without an fsync per commit; only an OS crash or power cut
                    // can lose the last commits. FULL (the default elsewhere) costs an fsync each.
                    await db.Database.ExecuteSqlRawAsync("PRAGMA synchronous=NORMAL;");
                }
                return new Session(scope, db);
            }
            catch
            {
                await scope.DisposeAsync();
                throw;
            }
        }

        public async Task SaveAsync(List<PendingAppend> batch)
        {
            foreach (var append in batch)
            {
                db.Events.Add(append.Row);
            }
            try
            {
                // One transaction for the batch.
                await db.SaveChangesAsync();
            }
            finally
            {
                db.ChangeTracker.Clear();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (db.Database.IsSqlite())
                {
                    // The connection goes back to the pool: leave it as the app's other users expect.
                    await db.Database.ExecuteSqlRawAsync("PRAGMA synchronous=FULL;");
                }
            }
            finally
            {
                await scope.DisposeAsync();
            }
        }
    }
}

/// <summary>An event waiting to be stored; completes with the event once it is committed and delivered.</summary>
internal sealed class PendingAppend(StageEvent stageEvent, StoredEvent row, ProjectLog log)
    : TaskCompletionSource<StageEvent>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public StageEvent Event { get; } = stageEvent;
    public StoredEvent Row { get; } = row;
    public ProjectLog Log { get; } = log;

    /// <summary>The append was not stored: its publisher gets the exception.</summary>
    public void Fail(Exception exception)
    {
        Log.Abandoned();
        TrySetException(exception);
    }
}
