using StageStream.Core.Pipeline;

namespace StageStream.Core.Projects;

public enum ProjectStatus { Draft, Running, Completed, Failed, Cancelled }

/// <summary>A story on its way to becoming a film: the text, one record per stage and the shots.</summary>
public sealed class Project
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public required string OriginalText { get; set; }
    public ProjectStatus Status { get; set; } = ProjectStatus.Draft;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The user who owns the project; null for projects made with <c>Auth:Mode=none</c> (admins see those).</summary>
    public string? OwnerId { get; set; }

    /// <summary>Output of <c>rewrite</c>, input of <c>storyboard</c>.</summary>
    public string? RewrittenText { get; set; }
    public string? RewriteProvider { get; set; }

    /// <summary>The assembled film, relative to the data folder.</summary>
    public string? FinalVideoPath { get; set; }

    /// <summary>The film's subtitles as SubRip and WebVTT files, made with the film.</summary>
    public string? SubtitlesSrtPath { get; set; }
    public string? SubtitlesVttPath { get; set; }

    /// <summary>The film's shape: "16:9", "9:16" or "1:1" (<see cref="AspectRatios"/>).</summary>
    public string AspectRatio { get; set; } = AspectRatios.Landscape;

    /// <summary>What the storyboard aims at: about this many seconds of film, or this many shots (at most one is set).</summary>
    public int? TargetSeconds { get; set; }
    public int? TargetShots { get; set; }

    /// <summary>Subtitles drawn into the picture as well as the soft track.</summary>
    public bool BurnSubtitles { get; set; }

    /// <summary>The narration voice and speech model of this project; null = the configured default.</summary>
    public string? Voice { get; set; }
    public string? VoiceModel { get; set; }

    /// <summary>An uploaded background track, looped or faded to the film's length and ducked under the narration.</summary>
    public string? MusicPath { get; set; }

    /// <summary>The latest pipeline run, if any; stage records that belong to it carry the same id.</summary>
    public string? PipelineRunId { get; set; }
    public bool PipelineForce { get; set; }

    /// <summary>
    /// Set by a cancel request, cleared by the next start. Read fresh before the pipeline queues its next
    /// stage, so a cancel that arrives between two stages still stops the pipeline.
    /// </summary>
    public bool CancelRequested { get; set; }

    public List<StageRecord> Stages { get; init; } = [];
    public List<Shot> Shots { get; init; } = [];

    /// <summary>The record of a stage; a project created before the stage existed gets it here, pending.</summary>
    public StageRecord Stage(string stage)
    {
        if (Stages.FirstOrDefault(s => s.Stage == stage) is { } record)
        {
            return record;
        }
        record = new StageRecord { ProjectId = Id, Stage = StageCatalog.Of(stage).Name };
        Stages.Add(record);
        return record;
    }

    public IEnumerable<Shot> ShotsInOrder => Shots.OrderBy(s => s.Sequence);

    public static Project Create(string name, string originalText, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var project = new Project
        {
            Id = NewId(),
            Name = name,
            OriginalText = originalText,
            CreatedAt = now,
            UpdatedAt = now,
        };
        foreach (var stage in StageCatalog.Names)
        {
            project.Stages.Add(new StageRecord { ProjectId = project.Id, Stage = stage });
        }
        return project;
    }

    /// <summary>URL-safe, short and unguessable enough for a self-hosted tool.</summary>
    public static string NewId() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8]);
}
