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
    /// How long a server's claim on its queued and running stage runs lasts without renewal. When a server
    /// dies, another one (or the next start) takes its runs over once their lease has run out.
    /// </summary>
    [Range(2, 3600)]
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>
    /// True when this is the only server on its database (no Redis): then every interrupted run is
    /// taken over at start-up without waiting for its lease. Set by the host.
    /// </summary>
    public bool RecoverAllAtStart { get; set; } = true;

    /// <summary>Frame size of images and clips.</summary>
    [Range(64, 4096)]
    public int Width { get; set; } = 1280;

    [Range(64, 4096)]
    public int Height { get; set; } = 720;
}
