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
    /// The Quartz scheduler whose stage jobs this process runs and recovers. Empty: one fixed name for a lone
    /// server; with Redis (several processes on one database), the process's host and port.
    /// </summary>
    public string? SchedulerName { get; set; }

    /// <summary>Frame size of images and clips.</summary>
    [Range(64, 4096)]
    public int Width { get; set; } = 1280;

    [Range(64, 4096)]
    public int Height { get; set; } = 720;
}
