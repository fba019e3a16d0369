using Microsoft.EntityFrameworkCore;
using StageStream.Core.Persistence;

namespace StageStream.Core.Projects;

/// <summary>Creating, reading and editing projects: the API and the pages both come here.</summary>
public sealed class ProjectService(StageStreamDbContext db, TimeProvider clock, DataFolder data)
{
    public const int MaxTextLength = 100_000;
    public const int MaxNameLength = 200;

    public async Task<Project> CreateAsync(string? name, string? originalText, CancellationToken cancellationToken) =>
        await CreateAsync(name, originalText, FilmSettings.None, cancellationToken);

    /// <param name="ownerId">The user who owns the project; null when there are no accounts (<c>Auth:Mode=none</c>).</param>
    public async Task<Project> CreateAsync(
        string? name, string? originalText, FilmSettings settings, CancellationToken cancellationToken, string? ownerId = null)
    {
        name = ValidName(name);
        if (string.IsNullOrWhiteSpace(originalText))
        {
            throw new InvalidInputException("Text required", "'original_text' is missing or empty: paste the story to turn into a video.") { Code = "text_required" };
        }
        if (originalText.Length > MaxTextLength)
        {
            throw new InvalidInputException("Text too long",
                $"'original_text' has {originalText.Length:N0} characters; at most {MaxTextLength:N0} are allowed.", tooLarge: true)
            { Code = "text_too_long", Args = [MaxTextLength] };
        }
        TextRules.CheckText("original_text", originalText);
        settings.Validate();
        var project = Project.Create(name, originalText.Trim(), clock);
        project.OwnerId = ownerId;
        settings.ApplyTo(project);
        db.Projects.Add(project);
        await db.SaveChangesAsync(cancellationToken);
        return project;
    }

    /// <summary>A project name as stored (trimmed), or the refusal of a missing or too long one.</summary>
    public static string ValidName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new InvalidInputException("Name required", "'name' is missing or empty: give the project a name.") { Code = "name_required" };
        }
        if (name.Trim().Length > MaxNameLength)
        {
            throw new InvalidInputException("Name too long", $"'name' has {name.Trim().Length} characters; at most {MaxNameLength} are allowed.")
                { Code = "name_too_long", Args = [MaxNameLength] };
        }
        TextRules.CheckName("name", name);
        return name.Trim();
    }

    public async Task<Project> GetAsync(string id, CancellationToken cancellationToken) =>
        await db.FindProjectAsync(id, cancellationToken) ?? throw NotFoundException.Project(id);


    /// <summary>
    /// Edits a shot's narration, visual prompt or duration. The next run makes again what showed or spoke the old
    /// values (a new narration: the frame, the voice and the clip; a new prompt: the frame and the clip; a new
    /// duration: the clip) and the film, and nothing of the other shots.
    /// </summary>
    public async Task<Shot> EditShotAsync(
        string projectId, int sequence, string? narration, string? visualPrompt, CancellationToken cancellationToken, double? duration = null)
    {
        var project = await GetAsync(projectId, cancellationToken);
        var shot = project.Shots.FirstOrDefault(s => s.Sequence == sequence)
            ?? throw new NotFoundException("Shot not found", $"Project '{projectId}' has no shot {sequence}.") { Code = "shot_not_found", Args = [sequence] };
        EnsureIdle(project);
        if (narration is null && visualPrompt is null && duration is null)
        {
            throw new InvalidInputException("Nothing to change", "Give 'narration', 'visual_prompt', 'duration' or more than one.") { Code = "nothing_to_change" };
        }
        if (duration is { } seconds && (double.IsNaN(seconds) || seconds < 1 || seconds > 60))
        {
            throw new InvalidInputException("Duration out of range", $"'duration' is {seconds}; a shot lasts 1 to 60 seconds.") { Code = "duration_out_of_range" };
        }
        if (narration is not null && string.IsNullOrWhiteSpace(narration) || visualPrompt is not null && string.IsNullOrWhiteSpace(visualPrompt))
        {
            throw new InvalidInputException("Empty text", "'narration' and 'visual_prompt' cannot be empty.") { Code = "shot_text_empty" };
        }
        if (narration?.Length > MaxTextLength || visualPrompt?.Length > MaxTextLength)
        {
            throw new InvalidInputException("Text too long", $"At most {MaxTextLength:N0} characters are allowed.", tooLarge: true) { Code = "text_too_long", Args = [MaxTextLength] };
        }
        TextRules.CheckText("narration", narration);
        TextRules.CheckText("visual_prompt", visualPrompt);
        var newText = narration is not null && narration.Trim() != shot.Narration || visualPrompt is not null && visualPrompt.Trim() != shot.VisualPrompt;
        if (narration is not null && narration.Trim() != shot.Narration)
        {
            // The voice spoke the old words.
            data.Delete(shot.VoicePath);
            shot.VoicePath = null;
            shot.SpeechSeconds = null;
        }
        shot.Narration = narration?.Trim() ?? shot.Narration;
        shot.VisualPrompt = visualPrompt?.Trim() ?? shot.VisualPrompt;
        if (duration is { } fixedSeconds)
        {
            shot.DurationSeconds = Math.Round(fixedSeconds * 25) / 25;
            shot.DurationFixed = true;
        }
        if (newText)
        {
            // The frame showed the old text.
            data.Delete(shot.ImagePath);
            shot.ImagePath = null;
            Reopen(project, StageNames.ImageGeneration);
        }
        data.Delete(shot.ClipPath);
        shot.ClipPath = null;
        Reopen(project, StageNames.VideoGeneration);
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return shot;
    }

    /// <summary>Changes the film's shape, target, subtitles or voice. What no longer fits is made again on the next run.</summary>
    public async Task<Project> UpdateSettingsAsync(string projectId, FilmSettings settings, CancellationToken cancellationToken)
    {
        var project = await GetAsync(projectId, cancellationToken);
        EnsureIdle(project);
        settings.Validate();
        var (aspect, voice, model) = (project.AspectRatio, project.Voice, project.VoiceModel);
        var (seconds, shots, burn) = (project.TargetSeconds, project.TargetShots, project.BurnSubtitles);
        settings.ApplyTo(project);
        if (project.AspectRatio != aspect)
        {
            // Frames and clips of the old shape.
            foreach (var shot in project.Shots)
            {
                data.Delete(shot.ImagePath, shot.ClipPath);
                (shot.ImagePath, shot.ClipPath) = (null, null);
            }
            Reopen(project, StageNames.ImageGeneration);
        }
        if (project.Voice != voice || project.VoiceModel != model)
        {
            foreach (var shot in project.Shots)
            {
                data.Delete(shot.VoicePath);
                (shot.VoicePath, shot.SpeechSeconds) = (null, null);
            }
        }
        if (project.TargetSeconds != seconds || project.TargetShots != shots)
        {
            Reopen(project, StageNames.Storyboard);
        }
        if (project.AspectRatio != aspect || project.Voice != voice || project.VoiceModel != model || project.BurnSubtitles != burn)
        {
            Reopen(project, StageNames.VideoGeneration);
        }
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return project;
    }

    /// <summary>Sets (or with null, removes) the project's background music: a file already checked to be audio (<see cref="Narration.MusicUpload"/>).</summary>
    public async Task<Project> SetMusicAsync(string projectId, string? relativePath, CancellationToken cancellationToken)
    {
        var project = await GetAsync(projectId, cancellationToken);
        EnsureIdle(project);
        if (project.MusicPath != relativePath)
        {
            data.Delete(project.MusicPath);
        }
        project.MusicPath = relativePath;
        Reopen(project, StageNames.VideoGeneration);
        project.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return project;
    }

    internal static void EnsureIdle(Project project)
    {
        if (project.Stages.FirstOrDefault(s => s.IsActive) is { } active)
        {
            throw new ConflictException("Project is running", $"Stage '{active.Stage}' is running; change the project when it has ended.") { Code = "project_running", Args = [active.Stage] };
        }
    }

    /// <summary>A completed stage whose output no longer fits runs again on the next pipeline run.</summary>
    private static void Reopen(Project project, string stage)
    {
        foreach (var record in project.Stages.Where(s => s.Stage == stage && s.Status == StageStatus.Completed))
        {
            record.MoveTo(StageStatus.Pending);
        }
    }
}
