using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>
/// Which server process holds each queued or running stage run. Several servers can share one database:
/// each renews the leases of its own runs, and only runs whose lease ran out are taken over by another,
/// so a restart of one server never re-runs work another is doing.
/// </summary>
public sealed class RunOwnership(StageStreamDbContext db, ServerIdentity server, IOptions<PipelineOptions> options, TimeProvider clock)
{
    public void Take(StageRecord record)
    {
        record.Owner = server.Id;
        record.LeaseUntil = NewLease();
    }

    /// <summary>Claims an orphaned run if nobody else claimed it since it was read; false if someone did.</summary>
    public async Task<bool> ClaimAsync(StageRecord orphan, CancellationToken cancellationToken)
    {
        var lease = NewLease();
        var claimed = await db.Stages
            .Where(s => s.Id == orphan.Id && s.Owner == orphan.Owner && s.LeaseUntil == orphan.LeaseUntil && s.Status == orphan.Status)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.Owner, server.Id).SetProperty(s => s.LeaseUntil, lease), cancellationToken);
        return claimed == 1;
    }

    /// <summary>Extends the lease of every run this server holds.</summary>
    public Task<int> RenewAsync(CancellationToken cancellationToken)
    {
        var lease = NewLease();
        return db.Stages
            .Where(s => s.Owner == server.Id && (s.Status == StageStatus.Queued || s.Status == StageStatus.Processing))
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.LeaseUntil, lease), cancellationToken);
    }

    private DateTimeOffset NewLease() => clock.GetUtcNow().AddSeconds(options.Value.LeaseSeconds);
}

/// <summary>This server process, as an owner of stage runs.</summary>
public sealed class ServerIdentity
{
    public string Id { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}
