namespace StageStream.Core.Projects;

/// <summary>The stages' wire names. Their order and everything else about them: <see cref="Pipeline.StageCatalog"/>.</summary>
public static class StageNames
{
    public const string Rewrite = "rewrite";
    public const string Storyboard = "storyboard";
    public const string ImageGeneration = "image_generation";
    public const string CameraMovement = "camera_movement";
    public const string VideoGeneration = "video_generation";

    /// <summary>The stage name pipeline-level events carry.</summary>
    public const string Pipeline = "pipeline";
}
