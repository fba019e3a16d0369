using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StageStream.Core.Events;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>
/// Executes one queued stage run: marks it processing, runs its executor within the concurrency
/// limit of its kind, and records and publishes how it ended.
/// </summary>
public sealed class StageRunner(
    StageStreamDbContext db,
    IEnumerable<IStageExecutor> executors,
    IEventPublisher publisher,
    PipelineService pipeline,
    RunningStages running,
    Interruptions interruptions,
    WorkLimiter limiter,
    DataFolder data,
    IOptions<PipelineOptions> options,
    TimeProvider clock,
    ILogger<StageRunner> logger)
{
    public async Task<RunEnd> RunAsync(StageRunRequest request, CancellationToken hostStopping)
    {
        var project = await db.FindProjectAsync(request.ProjectId, hostStopping);
        var record = project?.Stages.FirstOrDefault(s => s.Stage == request.Stage);
        if (project is null || record is null || record.JobId != request.JobId)
        {
            logger.LogInformation("Job {JobId} of {ProjectId}/{Stage} was replaced by a newer start; nothing to do", request.JobId, request.ProjectId, request.Stage);
            return RunEnd.Ended;
        }
        if (record.Status == StageStatus.Processing)
        {
            if (!request.Resuming)
            {
                return RunEnd.RunningElsewhere;
            }
            if (!await interruptions.RestartAsync(project, record, hostStopping))
            {
                return RunEnd.Ended;
            }
        }
        if (record.Status != StageStatus.Queued)
        {
            // Fired again after its server stopped: the run may have ended there before its pipeline went on.
            if (!(request.Resuming && await pipeline.ContinueStalledAsync(project, hostStopping)))
            {
                logger.LogInformation("Stage run {RunId} of {ProjectId}/{Stage} is no longer queued; nothing to do", record.RunId, request.ProjectId, request.Stage);
            }
            return RunEnd.Ended;
        }
        var runId = record.RunId!;

        var executor = executors.Single(e => e.Stage == request.Stage);
        // Registered before the run is claimed, so a cancel request always finds it one way or the other.
        var cancellation = running.Start(runId, hostStopping);
        var token = cancellation.Token;
        var watch = Stopwatch.StartNew();
        IDisposable? slot = null;
        var claimed = false;
        try
        {
            slot = await limiter.AcquireAsync(StageCatalog.Of(request.Stage).Kind, token, runId);
            if (!await ClaimAsync(request, runId, token))
            {
                await db.Entry(record).ReloadAsync(token);
                if (record.Status == StageStatus.Queued && record.RunId == runId)
                {
                    // Queued just as the project was cancelled: it ends here, never started.
                    throw new OperationCanceledException(token);
                }
                logger.LogInformation("Stage run {RunId} of {ProjectId}/{Stage} was cancelled or replaced before it started", runId, request.ProjectId, request.Stage);
                return RunEnd.Ended;
            }
            claimed = true;
            db.ChangeTracker.Clear();
            project = (await db.FindProjectAsync(request.ProjectId, token))!;
            record = project.Stage(request.Stage);
            logger.LogInformation("Stage {Stage} of project {ProjectId} started (run {RunId}, attempt {Attempt})",
                request.Stage, project.Id, runId, record.Attempts);
            project.Status = ProjectStatus.Running;
            project.UpdatedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(token);
            var reporter = new StageReporter(publisher, project.Id, record);
            await reporter.StageUpdateAsync(StageStatus.Processing, "Started", token);

            var context = new StageContext(project, record, db, reporter, data, options.Value);
            var outcome = await executor.ExecuteAsync(context, token);
            // A cancel that came as the work finished still wins: nothing after this point checks the token.
            token.ThrowIfCancellationRequested();

            record.MoveTo(StageStatus.Completed);
            record.Progress = 100;
            record.FinishedAt = clock.GetUtcNow();
            pipeline.ApplyOutcome(project, record);
            db.StageRuns.Add(StageRun.Of(project, record));
            await db.SaveChangesAsync(CancellationToken.None);
            await reporter.StageUpdateAsync(StageStatus.Completed, "Completed", CancellationToken.None);
            await reporter.DoneAsync(outcome, CancellationToken.None);
            logger.LogInformation("Stage {Stage} of project {ProjectId} completed in {Elapsed} ms", request.Stage, project.Id, watch.ElapsedMilliseconds);
            await pipeline.AfterStageAsync(project, record, CancellationToken.None);
            return RunEnd.Ended;
        }
        catch (OperationCanceledException) when (hostStopping.IsCancellationRequested)
        {
            // The server is stopping: the record stays as it is, as after a crash, and the job fires again at the
            // next start, which ends this run on the wire and restarts it (see Interruptions).
            logger.LogWarning("Stage {Stage} of project {ProjectId} interrupted by shutdown after {Elapsed} ms; it resumes at the next start",
                request.Stage, project.Id, watch.ElapsedMilliseconds);
            return RunEnd.Interrupted;
        }
        catch (OperationCanceledException ex) when (token.IsCancellationRequested || ex.CancellationToken == token)
        {
            logger.LogInformation("Stage {Stage} of project {ProjectId} cancelled after {Elapsed} ms", request.Stage, project.Id, watch.ElapsedMilliseconds);
            (project, record) = await RecordEndAsync(project, record, StageStatus.Cancelled, "Cancelled", claimed ? runId : null);
            await new StageReporter(publisher, project.Id, record).StageUpdateAsync(StageStatus.Cancelled, "Cancelled", CancellationToken.None);
            await pipeline.AfterStageAsync(project, record, CancellationToken.None);
            return RunEnd.Ended;
        }
        catch (Exception ex)
        {
            if (ex is DbUpdateConcurrencyException && await WasEndedElsewhereAsync(request, runId))
            {
                // Cancelled by a server that does not run it: that server recorded and published the end.
                logger.LogInformation("Stage run {RunId} of {ProjectId}/{Stage} was ended by another server; stopping", runId, request.ProjectId, request.Stage);
                return RunEnd.Ended;
            }
            logger.LogError(ex, "Stage {Stage} of project {ProjectId} failed after {Elapsed} ms", request.Stage, project.Id, watch.ElapsedMilliseconds);
            var code = CodedError.Of(ex);
            (project, record) = await RecordEndAsync(project, record, StageStatus.Failed, ex.Message, claimed ? runId : null, code);
            var failed = new StageReporter(publisher, project.Id, record);
            await failed.StageUpdateAsync(StageStatus.Failed, ex.Message, CancellationToken.None, code);
            await failed.ErrorAsync(ex.Message, CancellationToken.None, code);
            await pipeline.AfterStageAsync(project, record, CancellationToken.None);
            return RunEnd.Ended;
        }
        finally
        {
            slot?.Dispose();
            running.Finish(runId);
        }
    }

    /// <summary>
    /// Records how a run ended that did not complete. If the executor left changes the database refuses,
    /// they are dropped and the end is recorded on a fresh copy, so a run never stays processing.
    /// </summary>
    private async Task<(Project Project, StageRecord Record)> RecordEndAsync(
        Project project, StageRecord record, StageStatus status, string? error, string? claimedRun = null, CodedError? code = null)
    {
        void Apply(Project p, StageRecord r)
        {
            r.MoveTo(status);
            r.Error = error;
            r.ErrorCode = code?.ToJson();
            r.FinishedAt = clock.GetUtcNow();
            pipeline.ApplyOutcome(p, r);
            // Only a run that really started (claimed) has a place in the history.
            if (claimedRun is not null && claimedRun == r.RunId && r.StartedAt is not null)
            {
                db.StageRuns.Add(StageRun.Of(p, r));
            }
        }

        Apply(project, record);
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
            return (project, record);
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException)
        {
            logger.LogError(ex, "Saving the end of stage {Stage} of project {ProjectId} failed; recording it without the run's other changes", record.Stage, project.Id);
            db.ChangeTracker.Clear();
            var fresh = await db.FindProjectAsync(project.Id, CancellationToken.None)
                ?? throw new InvalidOperationException($"Project {project.Id} disappeared while its stage ran.", ex);
            var freshRecord = fresh.Stage(record.Stage);
            Apply(fresh, freshRecord);
            await db.SaveChangesAsync(CancellationToken.None);
            return (fresh, freshRecord);
        }
    }

    /// <summary>Queued to processing, only if the run is still the queued one (not cancelled or replaced meanwhile).</summary>
    private async Task<bool> ClaimAsync(StageRunRequest request, string runId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var claimed = await db.Stages
            .Where(s => s.ProjectId == request.ProjectId && s.Stage == request.Stage && s.RunId == runId && s.Status == StageStatus.Queued
                && !db.Projects.Any(p => p.Id == request.ProjectId && p.CancelRequested))
            .ExecuteUpdateAsync(set => set
                .SetProperty(s => s.Status, StageStatus.Processing)
                .SetProperty(s => s.Attempts, s => s.Attempts + 1)
                .SetProperty(s => s.Progress, 0)
                .SetProperty(s => s.Error, (string?)null)
                .SetProperty(s => s.ErrorCode, (string?)null)
                .SetProperty(s => s.StartedAt, now)
                .SetProperty(s => s.FinishedAt, (DateTimeOffset?)null), cancellationToken);
        return claimed == 1;
    }

    private async Task<bool> WasEndedElsewhereAsync(StageRunRequest request, string runId)
    {
        var current = await db.Stages.AsNoTracking()
            .Where(s => s.ProjectId == request.ProjectId && s.Stage == request.Stage)
            .Select(s => new { s.RunId, s.Status })
            .SingleAsync();
        return current.RunId != runId || current.Status != StageStatus.Processing;
    }
}
