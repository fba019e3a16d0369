using Microsoft.EntityFrameworkCore;
using StageStream.Core.Persistence;

namespace StageStream.Core.Projects;

/// <summary>One page of the projects a search found, newest first, and how many it found in all.</summary>
public sealed record ProjectSlice(IReadOnlyList<Project> Items, int Total, int Page, int PageSize);

/// <summary>Managing the set of projects: finding, renaming, duplicating and deleting them, and their run history.</summary>
public sealed class ProjectLibrary(StageStreamDbContext db, ProjectService projects, TimeProvider clock, DataFolder data)
{
    public const int MaxPageSize = 500;

    /// <summary>
    /// Projects whose name contains <paramref name="query"/> (any case), of one status if given, and with
    /// <paramref name="ownedBy"/> only that user's; paged on the database.
    /// </summary>
    public async Task<ProjectSlice> SearchAsync(string? query, string? status, int page, int pageSize, string? ownedBy, CancellationToken cancellationToken)
    {
        if (page < 1)
        {
            throw new InvalidInputException("Page out of range", $"'page' is {page}; pages start at 1.") { Code = "invalid_paging" };
        }
        if (pageSize is < 1 or > MaxPageSize)
        {
            throw new InvalidInputException("Page size out of range", $"'page_size' is {pageSize}; it must be 1 to {MaxPageSize}.") { Code = "invalid_paging" };
        }
        var found = db.Projects.AsNoTracking();
        if (ownedBy is not null)
        {
            found = found.Where(p => p.OwnerId == ownedBy);
        }
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!Enum.TryParse<ProjectStatus>(status, ignoreCase: true, out var wanted) || status != wanted.ToString().ToLowerInvariant())
            {
                throw new InvalidInputException("Unknown status",
                    $"'status' is '{status}'; it must be one of {string.Join(", ", Enum.GetNames<ProjectStatus>().Select(n => n.ToLowerInvariant()))}.")
                    { Code = "invalid_status" };
            }
            found = found.Where(p => p.Status == wanted);
        }
        if (!string.IsNullOrWhiteSpace(query))
        {
            var pattern = "%" + query.Trim().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            found = found.Where(p => EF.Functions.Like(p.Name, pattern, "\\"));
        }
        var total = await found.CountAsync(cancellationToken);
        // Times are stored as UTC ticks, so the database orders them correctly; the id breaks ties.
        var items = await found.OrderByDescending(p => p.CreatedAt).ThenBy(p => p.Id)
            .Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new ProjectSlice(items, total, page, pageSize);
    }

    public async Task<Project> RenameAsync(string id, string? name, CancellationToken cancellationToken)
    {
        var project = await projects.GetAsync(id, cancellationToken);
        project.Name = ProjectService.ValidName(name);
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return project;
    }

    /// <summary>
    /// A new project with the story, the settings and the storyboard of <paramref name="id"/>, and none of its media:
    /// its rewrite and storyboard stages are done where the original's were, the others wait for a run. The copy
    /// belongs to <paramref name="ownerId"/>, who made it.
    /// </summary>
    public async Task<Project> DuplicateAsync(string id, string? name, string? ownerId, CancellationToken cancellationToken)
    {
        var source = await projects.GetAsync(id, cancellationToken);
        var copy = Project.Create(name is null ? source.Name : ProjectService.ValidName(name), source.OriginalText, clock);
        copy.OwnerId = ownerId;
        (copy.AspectRatio, copy.TargetSeconds, copy.TargetShots, copy.BurnSubtitles) = (source.AspectRatio, source.TargetSeconds, source.TargetShots, source.BurnSubtitles);
        (copy.Voice, copy.VoiceModel) = (source.Voice, source.VoiceModel);
        copy.RewrittenText = source.RewrittenText;
        copy.RewriteProvider = source.RewriteProvider;
        foreach (var shot in source.ShotsInOrder)
        {
            copy.Shots.Add(new Shot
            {
                ProjectId = copy.Id,
                Sequence = shot.Sequence,
                Narration = shot.Narration,
                VisualPrompt = shot.VisualPrompt,
                ShotType = shot.ShotType,
                DurationSeconds = shot.DurationSeconds,
                DurationFixed = shot.DurationFixed,
            });
        }
        MarkDone(copy, StageNames.Rewrite, !string.IsNullOrWhiteSpace(copy.RewrittenText));
        MarkDone(copy, StageNames.Storyboard, copy.Shots.Count > 0 && source.Stage(StageNames.Storyboard).Status == StageStatus.Completed);
        db.Projects.Add(copy);
        await db.SaveChangesAsync(cancellationToken);
        return copy;
    }

    /// <summary>Deletes a project that is not running: its rows (stages, shots, runs, events) and its media folder.</summary>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var project = await projects.GetAsync(id, cancellationToken);
        ProjectService.EnsureIdle(project);
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // The event log has no foreign key to projects (it is written apart from them).
            await db.Events.Where(e => e.ProjectId == id).ExecuteDeleteAsync(cancellationToken);
            db.Projects.Remove(project);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        var folder = Path.Combine(data.MediaRoot, id);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The project's finished stage runs, newest first.</summary>
    public async Task<IReadOnlyList<StageRun>> RunsAsync(string id, CancellationToken cancellationToken)
    {
        await projects.GetAsync(id, cancellationToken);
        var runs = await db.StageRuns.AsNoTracking().Where(r => r.ProjectId == id).ToListAsync(cancellationToken);
        return runs.OrderByDescending(r => r.FinishedAt).ThenByDescending(r => r.Id).ToList();
    }

    private void MarkDone(Project project, string stage, bool done)
    {
        if (done)
        {
            var record = project.Stage(stage);
            record.Status = StageStatus.Completed;
            record.Progress = 100;
            record.FinishedAt = clock.GetUtcNow();
        }
    }
}
