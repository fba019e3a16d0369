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
    /// server or a PostgreSQL cluster; with Redis on SQLite (several processes on one file), the process's host and port.
    /// </summary>
    public string? SchedulerName { get; set; }

    /// <summary>On PostgreSQL (a Quartz cluster): how often each instance checks in.</summary>
    [Range(0.5, 600)]
    public double ClusterCheckinSeconds { get; set; } = 7.5;

    /// <summary>
    /// On PostgreSQL: how long past a missed check-in the others wait before they take over a silent instance's
    /// stage jobs. A dead instance's runs resume elsewhere after about the check-in interval plus this.
    /// </summary>
    [Range(0.5, 600)]
    public double ClusterCheckinMisfireSeconds { get; set; } = 7.5;

    /// <summary>
    /// Shots of one stage run worked on at once (frames, voices, clips); 0 = as many as the machine has cores.
    /// Local work (ffmpeg, drawing) is CPU-bound, so more than the cores only adds switching.
    /// </summary>
    [Range(0, 64)]
    public int ShotConcurrency { get; set; }

    public int ShotConcurrencyOrCores => ShotConcurrency > 0 ? ShotConcurrency : Environment.ProcessorCount;

    /// <summary>Frame size of 16:9 images and clips; 9:16 swaps the sides, 1:1 uses the shorter one (see <see cref="Projects.AspectRatios"/>).</summary>
    [Range(64, 4096)]
    public int Width { get; set; } = 1280;

    [Range(64, 4096)]
    public int Height { get; set; } = 720;
}
