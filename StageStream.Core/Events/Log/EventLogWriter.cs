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
/// <remarks>
/// It runs on a thread of its own, not the thread pool: when a project has many subscribers, each
/// delivery queues a wake-up per subscriber on the pool, and a writer (or a publisher) waiting behind
/// them in the pool's queue would slow every publish down to the speed of the slowest fan-out.
/// </remarks>
internal sealed class EventLogWriter : IAsyncDisposable, IDisposable
{
    public const int MaxBatch = 256;

    private readonly Queue<PendingAppend> _queue = new();
    // Monitor.Wait/Pulse on it: the writer sleeps when the queue is empty and an append wakes it directly.
    private readonly object _gate = new();
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger _logger;
    private readonly Action<List<PendingAppend>> _committed;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closing;

    /// <param name="committed">Called on the writer's thread after each commit, with the batch in queue order; must not throw.</param>
    public EventLogWriter(IServiceScopeFactory scopes, ILogger logger, Action<List<PendingAppend>> committed)
    {
        _scopes = scopes;
        _logger = logger;
        _committed = committed;
        _thread = new Thread(Run) { IsBackground = true, Name = "StageStream event log writer" };
        _thread.Start();
    }

    /// <summary>Batches committed since start, and events in them (for tests and the benchmark).</summary>
    public long Commits { get; private set; }

    public long CommittedEvents { get; private set; }

    /// <summary>Queues an append; false once the writer is stopping.</summary>
    public bool TryEnqueue(PendingAppend append)
    {
        lock (_gate)
        {
            if (_closing)
            {
                return false;
            }
            _queue.Enqueue(append);
            if (_queue.Count == 1)
            {
                // The writer waits only while the queue is empty.
                Monitor.Pulse(_gate);
            }
            return true;
        }
    }

    private void Run()
    {
        var batch = new List<PendingAppend>(MaxBatch);
        Session? session = null;
        try
        {
            while (Take(batch))
            {
                try
                {
                    session ??= Session.Open(_scopes);
                    session.Save(batch);
                }
                catch (Exception exception)
                {
                    // Nothing of the batch is stored, so nothing of it is delivered: each publisher gets the
                    // failure (e.g. a full disk) and the loop goes on with a fresh connection.
                    _logger.LogError(exception, "Could not store {Count} events in the event log", batch.Count);
                    DisposeQuietly(session);
                    session = null;
                    foreach (var append in batch)
                    {
                        append.Fail(exception);
                    }
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
            }
        }
        finally
        {
            DisposeQuietly(session);
            _stopped.TrySetResult();
        }
    }

    /// <summary>Waits for appends and moves up to <see cref="MaxBatch"/> of them into <paramref name="batch"/>; false once stopped and drained.</summary>
    private bool Take(List<PendingAppend> batch)
    {
        batch.Clear();
        lock (_gate)
        {
            while (_queue.Count == 0)
            {
                if (_closing)
                {
                    return false;
                }
                Monitor.Wait(_gate);
            }
            while (batch.Count < MaxBatch && _queue.TryDequeue(out var append))
            {
                batch.Add(append);
            }
            return true;
        }
    }

    private void DisposeQuietly(Session? session)
    {
        try
        {
            session?.Dispose();
        }
        catch (Exception exception)
        {
            _logger.LogDebug(exception, "Closing the event log's connection failed");
        }
    }

    /// <summary>Stops taking appends and waits until every queued one is stored (or has failed).</summary>
    public async ValueTask DisposeAsync()
    {
        Close();
        await _stopped.Task;
    }

    public void Dispose()
    {
        Close();
        _thread.Join();
    }

    private void Close()
    {
        lock (_gate)
        {
            _closing = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>The writer's own context and open connection, kept across batches. Synchronous: it has a thread of its own.</summary>
    private sealed class Session(IServiceScope scope, StageStreamDbContext db) : IDisposable
    {
        public static Session Open(IServiceScopeFactory scopes)
        {
            var scope = scopes.CreateScope();
            try
            {
                var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
                db.ChangeTracker.AutoDetectChangesEnabled = false;
                db.Database.OpenConnection();
                if (db.Database.IsSqlite())
                {
                    // In WAL mode a commit is then durable against any crash of the process (the WAL
                    // write is in the OS), without an fsync per commit; only an OS crash or power cut
                    // can lose the last commits. FULL (the default elsewhere) costs an fsync each.
                    db.Database.ExecuteSqlRaw("PRAGMA synchronous=NORMAL;");
                }
                return new Session(scope, db);
            }
            catch
            {
                scope.Dispose();
                throw;
            }
        }

        public void Save(List<PendingAppend> batch)
        {
            foreach (var append in batch)
            {
                db.Events.Add(append.Row);
            }
            try
            {
                // One transaction for the batch.
                db.SaveChanges();
            }
            finally
            {
                db.ChangeTracker.Clear();
            }
        }

        public void Dispose()
        {
            try
            {
                if (db.Database.IsSqlite())
                {
                    // The connection goes back to the pool: leave it as the app's other users expect.
                    db.Database.ExecuteSqlRaw("PRAGMA synchronous=FULL;");
                }
            }
            finally
            {
                scope.Dispose();
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
