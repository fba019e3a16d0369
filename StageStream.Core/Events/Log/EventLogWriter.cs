using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StageStream.Core.Persistence;

namespace StageStream.Core.Events.Log;

/// <summary>
/// The one writer of the event log, with group commits: the appends waiting in its queue (up to
/// <see cref="MaxBatch"/>) are stored in one transaction, then reported in queue order. One drain runs
/// at a time. There is no timer: a batch is whatever queued while the previous one was being committed,
/// so a lone event is written at once and a burst shares one commit.
/// </summary>
/// <remarks>
/// The drain runs on the thread of the publisher that finds the writer idle (it commits its own event
/// and whatever queued with it, then hands the rest, if any, to a thread-pool work item that drains until
/// the queue is empty). A lone publisher therefore stores, delivers and goes on without a thread switch:
/// with a thousand subscribers each delivery queues a thousand wake-ups on the pool, and a writer or a
/// publisher waiting behind them would slow every publish down to the pace of the fan-out.
/// </remarks>
internal sealed class EventLogWriter : IAsyncDisposable, IDisposable
{
    public const int MaxBatch = 256;

    private readonly Queue<PendingAppend> _queue = new();
    private readonly Lock _gate = new();
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger _logger;
    private readonly Action<List<PendingAppend>> _committed;
    private readonly List<PendingAppend> _batch = new(MaxBatch);
    private bool _draining;
    private bool _closing;
    private TaskCompletionSource? _drained;
    // Used only by the one running drain.
    private Session? _session;
    // Events that failed to be stored since the last commit that succeeded, and when the first of them failed.
    private long _unstored;
    private DateTimeOffset? _unstoredSince;

    /// <param name="committed">Called by the drain after each commit, with the batch in queue order; must not throw.</param>
    public EventLogWriter(IServiceScopeFactory scopes, ILogger logger, Action<List<PendingAppend>> committed)
    {
        _scopes = scopes;
        _logger = logger;
        _committed = committed;
    }

    /// <summary>Batches committed since start, and events in them (for tests and the benchmark).</summary>
    public long Commits { get; private set; }

    public long CommittedEvents { get; private set; }

    /// <summary>
    /// Queues an append; false once the writer is stopping. <paramref name="lead"/> is true when the writer was
    /// idle: the caller must then run <see cref="DrainAsync"/> (outside any lock of its own).
    /// </summary>
    public bool TryEnqueue(PendingAppend append, out bool lead)
    {
        lock (_gate)
        {
            lead = false;
            if (_closing)
            {
                return false;
            }
            _queue.Enqueue(append);
            if (!_draining)
            {
                _draining = lead = true;
            }
            return true;
        }
    }

    /// <summary>
    /// Commits batches until <paramref name="own"/> is done (then any rest goes on on the thread pool), or,
    /// with no <paramref name="own"/>, until the queue is empty. Never throws: failures go to the appends.
    /// </summary>
    public async Task DrainAsync(PendingAppend? own)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _draining = false;
                    _drained?.TrySetResult();
                    return;
                }
                if (own is { Task.IsCompleted: true })
                {
                    // The caller's event is stored: it goes on, and the rest is drained elsewhere.
                    ThreadPool.UnsafeQueueUserWorkItem(static writer => _ = writer.DrainAsync(null), this, preferLocal: false);
                    return;
                }
                _batch.Clear();
                while (_batch.Count < MaxBatch && _queue.TryDequeue(out var append))
                {
                    _batch.Add(append);
                }
            }
            await CommitAsync(_batch);
        }
    }

    private async Task CommitAsync(List<PendingAppend> batch)
    {
        try
        {
            _session ??= await Session.OpenAsync(_scopes);
            await _session.SaveAsync(batch);
        }
        catch (Exception exception)
        {
            // Nothing of the batch is stored, so nothing of it is delivered: each publisher gets the
            // failure (e.g. a full disk), and the next batch starts on a fresh connection.
            _logger.LogError(exception, "Could not store {Count} events in the event log", batch.Count);
            _unstored += batch.Count;
            _unstoredSince ??= DateTimeOffset.UtcNow;
            await DisposeSessionAsync();
            foreach (var append in batch)
            {
                append.Fail(exception);
            }
            return;
        }
        Commits++;
        CommittedEvents += batch.Count;
        (_unstored, _unstoredSince) = (0, null);
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

    private async Task DisposeSessionAsync()
    {
        var session = _session;
        _session = null;
        try
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }
        }
        catch (Exception exception)
        {
            _logger.LogDebug(exception, "Closing the event log's connection failed");
        }
    }

    /// <summary>
    /// Stops taking appends, waits until every queued one is stored (or has failed) and closes the connection. If the
    /// database has refused the last appends, says how many events were lost (each failure was logged as it happened).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Task drained;
        lock (_gate)
        {
            _closing = true;
            drained = _draining ? (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task : Task.CompletedTask;
        }
        await drained;
        await DisposeSessionAsync();
        if (_unstored > 0)
        {
            _logger.LogWarning("{Count} events could not be written to the event log since {Since:HH:mm:ss} UTC: the database was unreachable " +
                "until the stop. They were never delivered to any client and are lost", _unstored, _unstoredSince);
            (_unstored, _unstoredSince) = (0, null);
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// The writer's own context, open connection and prepared insert, kept across batches. The insert is
    /// plain SQL made from the EF model (table, columns, quoting), so any relational provider runs it; it
    /// costs a fraction of what change tracking and SaveChanges cost per row.
    /// </summary>
    private sealed class Session(AsyncServiceScope scope, StageStreamDbContext db, DbCommand insert) : IAsyncDisposable
    {
        private static readonly Func<StoredEvent, object?>[] Values =
        [
            e => e.ProjectId, e => e.Id, e => e.RunId, e => e.PipelineRunId, e => e.Stage, e => e.Type, e => e.Timestamp, e => e.Payload,
        ];

        private static readonly string[] Properties =
        [
            nameof(StoredEvent.ProjectId), nameof(StoredEvent.Id), nameof(StoredEvent.RunId), nameof(StoredEvent.PipelineRunId),
            nameof(StoredEvent.Stage), nameof(StoredEvent.Type), nameof(StoredEvent.Timestamp), nameof(StoredEvent.Payload),
        ];

        public static async Task<Session> OpenAsync(IServiceScopeFactory scopes)
        {
            var scope = scopes.CreateAsyncScope();
            try
            {
                var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
                await db.Database.OpenConnectionAsync();
                if (db.Database.IsSqlite())
                {
                    // In WAL mode a commit is then durable against any crash of the process (the WAL
                    // write is in the OS), without an fsync per commit; only an OS crash or power cut
                    // can lose the last commits. FULL (the default elsewhere) costs an fsync each.
                    await db.Database.ExecuteSqlRawAsync("PRAGMA synchronous=NORMAL;");
                }
                return new Session(scope, db, CreateInsert(db));
            }
            catch
            {
                await scope.DisposeAsync();
                throw;
            }
        }

        private static DbCommand CreateInsert(StageStreamDbContext db)
        {
            var entity = db.Model.FindEntityType(typeof(StoredEvent))!;
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var sql = db.GetService<ISqlGenerationHelper>();
            var columns = Properties.Select(p => sql.DelimitIdentifier(entity.FindProperty(p)!.GetColumnName(table)!));
            var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", columns)}) "
                + $"VALUES ({string.Join(", ", Properties.Select((_, i) => "@p" + i))})";
            for (var i = 0; i < Properties.Length; i++)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = "@p" + i;
                command.Parameters.Add(parameter);
            }
            return command;
        }

        public async Task SaveAsync(List<PendingAppend> batch)
        {
            // One transaction for the batch.
            await using var transaction = await db.Database.GetDbConnection().BeginTransactionAsync();
            insert.Transaction = transaction;
            foreach (var append in batch)
            {
                for (var i = 0; i < Values.Length; i++)
                {
                    insert.Parameters[i].Value = Values[i](append.Row) ?? DBNull.Value;
                }
                await insert.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await insert.DisposeAsync();
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
