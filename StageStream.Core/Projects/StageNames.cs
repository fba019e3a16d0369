namespace StageStream.Core.Projects;

/// <summary>The five stages, in pipeline order, by their wire names.</summary>
public static class StageNames
{
    public const string Rewrite = "rewrite";
    public const string Storyboard = "storyboard";
    public const string ImageGeneration = "image_generation";
    public const string CameraMovement = "camera_movement";
    public const string VideoGeneration = "video_generation";

    /// <summary>The stage name pipeline-level events carry.</summary>
    public const string Pipeline = "pipeline";

    public static IReadOnlyList<string> All { get; } =
        [Rewrite, Storyboard, ImageGeneration, CameraMovement, VideoGeneration];

    public static string ValidList { get; } = string.Join(", ", All);

    public static bool IsValid(string? stage) => stage is not null && All.Contains(stage);

    public static int IndexOf(string stage) => All.ToList().IndexOf(stage);

    public static string? Previous(string stage) => IndexOf(stage) is > 0 and var i ? All[i - 1] : null;

    public static string? Next(string stage) => IndexOf(stage) is var i && i >= 0 && i < All.Count - 1 ? All[i + 1] : null;

    /// <summary>Which concurrency pool a stage's work counts against (the old system's Celery queues).</summary>
    public static WorkKind KindOf(string stage) => stage switch
    {
        ImageGeneration => WorkKind.Image,
        VideoGeneration => WorkKind.Video,
        _ => WorkKind.Llm,
    };
}

public enum WorkKind { Llm, Image, Video }
