using System.ComponentModel.DataAnnotations;

namespace StageStream.Core.Pipeline;

public sealed class PipelineOptions
{
    public const string Section = "Pipeline";

    /// <summary>Stage runs of LLM work (rewrite, storyboard, camera_movement) at once.</summary>
    [Range(1, 256)]
    public int LlmConcurrency { get; set; } = 4;

    /// <summary>Stage runs of image work at once.</summary>
    [Range(1, 256)]
    public int ImageConcurrency { get; set; } = 2;

    /// <summary>Stage runs of video work at once.</summary>
    [Range(1, 256)]
    public int VideoConcurrency { get; set; } = 1;

    /// <summary>How often a run may be started (including restarts after a crash) before it is failed for good.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// With several servers (Redis configured), how often each scheduler records in the database that it is
    /// alive. A server that misses its check-in by this long again is taken for dead, and another one recovers
    /// its running stages.
    /// </summary>
    [Range(1, 600)]
    public double ClusterCheckinSeconds { get; set; } = 7.5;

    /// <summary>Frame size of images and clips.</summary>
    [Range(64, 4096)]
    public int Width { get; set; } = 1280;

    [Range(64, 4096)]
    public int Height { get; set; } = 720;
}
