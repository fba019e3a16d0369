namespace StageStream.Core.Projects;

/// <summary>
/// A project's film settings as a request gives them: null leaves a setting as it is (on creation: its default).
/// <see cref="Validate"/> refuses what is out of range with a message naming the field.
/// </summary>
public sealed record FilmSettings(
    string? AspectRatio = null, int? TargetSeconds = null, int? TargetShots = null, bool? BurnSubtitles = null,
    string? Voice = null, string? VoiceModel = null, bool ClearTarget = false)
{
    public const int MinTargetSeconds = 5;
    public const int MaxTargetSeconds = 1800;
    public const int MaxTargetShots = 200;
    public const int MaxVoiceLength = 100;

    public static FilmSettings None { get; } = new();

    public void Validate()
    {
        if (AspectRatio is not null && !AspectRatios.IsValid(AspectRatio))
        {
            throw new InvalidInputException("Unknown aspect ratio",
                $"'aspect_ratio' is '{AspectRatio}'; it must be one of {string.Join(", ", AspectRatios.All)}.") { Code = "invalid_settings" };
        }
        if (TargetSeconds is not null && TargetShots is not null)
        {
            throw new InvalidInputException("Two targets", "Give 'target_seconds' or 'target_shots', not both.") { Code = "invalid_settings" };
        }
        if (TargetSeconds is < MinTargetSeconds or > MaxTargetSeconds)
        {
            throw new InvalidInputException("Target length out of range",
                $"'target_seconds' is {TargetSeconds}; it must be {MinTargetSeconds} to {MaxTargetSeconds}.") { Code = "invalid_settings" };
        }
        if (TargetShots is < 1 or > MaxTargetShots)
        {
            throw new InvalidInputException("Shot count out of range", $"'target_shots' is {TargetShots}; it must be 1 to {MaxTargetShots}.") { Code = "invalid_settings" };
        }
        foreach (var (field, value) in new[] { ("voice", Voice), ("voice_model", VoiceModel) })
        {
            if (value is not null && (value.Length > MaxVoiceLength || value.Any(char.IsControl)))
            {
                throw new InvalidInputException($"Invalid {field}", $"'{field}' must be at most {MaxVoiceLength} characters without control characters.") { Code = "invalid_settings" };
            }
        }
    }

    /// <summary>Sets what was given. A target replaces the other kind; an empty voice or model returns to the configured default.</summary>
    public void ApplyTo(Project project)
    {
        project.AspectRatio = AspectRatio ?? project.AspectRatio;
        if (ClearTarget || TargetSeconds is not null || TargetShots is not null)
        {
            (project.TargetSeconds, project.TargetShots) = (TargetSeconds, TargetShots);
        }
        project.BurnSubtitles = BurnSubtitles ?? project.BurnSubtitles;
        if (Voice is not null)
        {
            project.Voice = Voice.Trim().Length == 0 ? null : Voice.Trim();
        }
        if (VoiceModel is not null)
        {
            project.VoiceModel = VoiceModel.Trim().Length == 0 ? null : VoiceModel.Trim();
        }
    }
}
