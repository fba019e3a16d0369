using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;

namespace StageStream.Web.Api;

public sealed record CreateProjectRequest(
    string? Name, string? OriginalText, string? AspectRatio = null, int? TargetSeconds = null, int? TargetShots = null,
    bool? BurnSubtitles = null, string? Voice = null, string? VoiceModel = null)
{
    public FilmSettings ToSettings() => new(AspectRatio, TargetSeconds, TargetShots, BurnSubtitles, Voice, VoiceModel);
}

/// <summary>The film settings of a project; absent fields stay as they are, a target of 0 removes the target.</summary>
public sealed record UpdateProjectRequest(
    string? AspectRatio = null, int? TargetSeconds = null, int? TargetShots = null, bool? BurnSubtitles = null,
    string? Voice = null, string? VoiceModel = null)
{
    public FilmSettings ToSettings() => new(AspectRatio, TargetSeconds is 0 ? null : TargetSeconds, TargetShots is 0 ? null : TargetShots,
        BurnSubtitles, Voice, VoiceModel, ClearTarget: TargetSeconds is 0 || TargetShots is 0);
}

public sealed record EditShotRequest(string? Narration, string? VisualPrompt, double? Duration = null);

public sealed record ProjectSummaryDto(string Id, string Name, string Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string Url);

/// <summary><c>error</c> is the English technical detail; <c>error_code</c> its stable code and values (see docs), when it has one.</summary>
public sealed record StageDto(
    string Stage, string Status, int Progress, string? Error, int Attempts, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    string? Provider, string? RunId, string StreamUrl, CodedError? ErrorCode = null);

public sealed record ShotDto(
    int Sequence, string Narration, string VisualPrompt, string ShotType, double Duration,
    string? ImageUrl, string? ImageProvider, string? CameraMove, string? CameraDescription, string? CameraProvider,
    string? ClipUrl, string? ClipProvider, string? Error,
    bool DurationFixed = false, string? VoiceUrl = null, string? VoiceProvider = null, double? SpeechSeconds = null, CodedError? ErrorCode = null);

public sealed record ProjectDto(
    string Id, string Name, string OriginalText, string Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    string? RewrittenText, string? RewriteProvider, string? FinalVideoUrl, string StreamUrl,
    IReadOnlyList<StageDto> Stages, IReadOnlyList<ShotDto> Shots,
    string AspectRatio = AspectRatios.Landscape, int? TargetSeconds = null, int? TargetShots = null, bool BurnSubtitles = false,
    string? Voice = null, string? VoiceModel = null, string? MusicUrl = null, string? SubtitlesSrtUrl = null, string? SubtitlesVttUrl = null);

public sealed record RunAcceptedDto(string ProjectId, string Stage, string RunId, string Status, string StreamUrl);

public sealed record CancelAcceptedDto(string ProjectId, string Status);

/// <summary>Where things are on the wire.</summary>
public static class Urls
{
    public static string Project(string id) => $"/api/v1/projects/{id}";
    public static string? Media(string? relativePath) => relativePath is null ? null : DataFolder.UrlOf(relativePath);
    public static string StageStream(string projectId, string stage) => $"/api/v1/sse/projects/{projectId}/stages/{stage}/";
    public static string AllStagesStream(string projectId) => $"/api/v1/sse/projects/{projectId}/";
}

public static class ProjectDtoMapping
{
    public static ProjectSummaryDto ToSummary(this Project p) =>
        new(p.Id, p.Name, p.Status.ToWire(), p.CreatedAt, p.UpdatedAt, Urls.Project(p.Id));

    public static ProjectDto ToDto(this Project p) => new(
        p.Id, p.Name, p.OriginalText, p.Status.ToWire(), p.CreatedAt, p.UpdatedAt,
        p.RewrittenText, p.RewriteProvider, Urls.Media(p.FinalVideoPath), Urls.AllStagesStream(p.Id),
        StageCatalog.Names.Select(stage => p.Stage(stage).ToDto()).ToList(),
        p.ShotsInOrder.Select(s => s.ToDto()).ToList(),
        p.AspectRatio, p.TargetSeconds, p.TargetShots, p.BurnSubtitles, p.Voice, p.VoiceModel,
        Urls.Media(p.MusicPath), Urls.Media(p.SubtitlesSrtPath), Urls.Media(p.SubtitlesVttPath));

    public static StageDto ToDto(this StageRecord s) => new(
        s.Stage, s.Status.ToWire(), s.Progress, s.Error, s.Attempts, s.StartedAt, s.FinishedAt, s.Provider, s.RunId,
        Urls.StageStream(s.ProjectId, s.Stage), CodedError.FromJson(s.ErrorCode));

    public static ShotDto ToDto(this Shot s) => new(
        s.Sequence, s.Narration, s.VisualPrompt, s.ShotType, s.DurationSeconds,
        Urls.Media(s.ImagePath), s.ImageProvider,
        s.CameraMove?.ToWire(), s.CameraDescription, s.CameraProvider,
        Urls.Media(s.ClipPath), s.ClipProvider, s.Error,
        s.DurationFixed, Urls.Media(s.VoicePath), s.VoiceProvider, s.SpeechSeconds, CodedError.FromJson(s.ErrorCode));
}
