using Microsoft.EntityFrameworkCore;
using StageStream.Core.Persistence;

namespace StageStream.Core.Projects;

/// <summary>Creating, reading and editing projects: the API and the pages both come here.</summary>
public sealed class ProjectService(StageStreamDbContext db, TimeProvider clock)
{
    public const int MaxTextLength = 100_000;
    public const int MaxNameLength = 200;

    public async Task<Project> CreateAsync(string? name, string? originalText, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new InvalidInputException("Name required", "'name' is missing or empty: give the project a name.");
        }
        if (name.Trim().Length > MaxNameLength)
        {
            throw new InvalidInputException("Name too long", $"'name' has {name.Trim().Length} characters; at most {MaxNameLength} are allowed.");
        }
        if (string.IsNullOrWhiteSpace(originalText))
        {
            throw new InvalidInputException("Text required", "'original_text' is missing or empty: paste the story to turn into a video.");
        }
        if (originalText.Length > MaxTextLength)
        {
            throw new InvalidInputException("Text too long",
                $"'original_text' has {originalText.Length:N0} characters; at most {MaxTextLength:N0} are allowed.", tooLarge: true);
        }
        var project = Project.Create(name.Trim(), originalText.Trim(), clock);
        db.Projects.Add(project);
        await db.SaveChangesAsync(cancellationToken);
        return project;
    }

    public async Task<Project> GetAsync(string id, CancellationToken cancellationToken) =>
        await db.FindProjectAsync(id, cancellationToken) ?? throw NotFoundException.Project(id);

    public async Task<IReadOnlyList<Project>> ListAsync(CancellationToken cancellationToken)
    {
        // Times are stored as UTC ticks, so the database orders them correctly.
        return await db.Projects.AsNoTracking().OrderByDescending(p => p.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>Edits a shot's narration or visual prompt; its image and clip are made again on the next run.</summary>
    public async Task<Shot> EditShotAsync(string projectId, int sequence, string? narration, string? visualPrompt, CancellationToken cancellationToken)
    {
        var project = await GetAsync(projectId, cancellationToken);
        var shot = project.Shots.FirstOrDefault(s => s.Sequence == sequence)
            ?? throw new NotFoundException("Shot not found", $"Project '{projectId}' has no shot {sequence}.");
        if (project.Stages.FirstOrDefault(s => s.IsActive) is { } active)
        {
            throw new ConflictException("Project is running", $"Stage '{active.Stage}' is running; edit the storyboard when it has ended.");
        }
        if (narration is null && visualPrompt is null)
        {
            throw new InvalidInputException("Nothing to change", "Give 'narration', 'visual_prompt' or both.");
        }
        if (narration is not null && string.IsNullOrWhiteSpace(narration) || visualPrompt is not null && string.IsNullOrWhiteSpace(visualPrompt))
        {
            throw new InvalidInputException("Empty text", "'narration' and 'visual_prompt' cannot be empty.");
        }
        if (narration?.Length > MaxTextLength || visualPrompt?.Length > MaxTextLength)
        {
            throw new InvalidInputException("Text too long", $"At most {MaxTextLength:N0} characters are allowed.", tooLarge: true);
        }
        shot.Narration = narration?.Trim() ?? shot.Narration;
        shot.VisualPrompt = visualPrompt?.Trim() ?? shot.VisualPrompt;
        // The frame and clip showed the old text.
        shot.ImagePath = null;
        shot.ClipPath = null;
        foreach (var stage in project.Stages.Where(s => s.Stage is StageNames.ImageGeneration or StageNames.VideoGeneration && s.Status == StageStatus.Completed))
        {
            stage.MoveTo(StageStatus.Pending);
        }
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return shot;
    }
}
