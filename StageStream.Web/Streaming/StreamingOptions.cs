using System.ComponentModel.DataAnnotations;

namespace StageStream.Web.Streaming;

/// <summary>Timing of the SSE streams (section <c>Streaming</c>); the defaults are the old system's.</summary>
public sealed class StreamingOptions
{
    public const string Section = "Streaming";

    /// <summary>A <c>: heartbeat</c> comment is written after this many seconds without any write, so proxies keep the connection.</summary>
    [Range(0.05, 3600)]
    public double HeartbeatSeconds { get; set; } = 15;

    /// <summary>A single-stage stream with no event for this long is closed with <c>stream_end</c>. Heartbeats do not count.</summary>
    [Range(0.1, 86400)]
    public double SingleStageIdleTimeoutSeconds { get; set; } = 600;

    /// <summary>The same for the all-stages stream, which waits through whole pipelines.</summary>
    [Range(0.1, 86400)]
    public double AllStagesIdleTimeoutSeconds { get; set; } = 1800;

    /// <summary>
    /// A stream whose next token was handed on this long ago has fallen behind (the server cannot write every
    /// watcher's every token in time): its waiting tokens of one run are then sent as one merged message.
    /// </summary>
    [Range(0, 60000)]
    public double CoalesceAfterMilliseconds { get; set; } = 30;

    public TimeSpan Heartbeat => TimeSpan.FromSeconds(HeartbeatSeconds);

    public TimeSpan IdleTimeout(string? stage) =>
        TimeSpan.FromSeconds(stage is null ? AllStagesIdleTimeoutSeconds : SingleStageIdleTimeoutSeconds);
}
