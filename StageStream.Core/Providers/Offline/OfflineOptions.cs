using System.ComponentModel.DataAnnotations;

namespace StageStream.Core.Providers.Offline;

/// <summary>Settings of the embedded providers, bound from <c>Providers:Offline</c>.</summary>
public sealed class OfflineOptions
{
    public const string Section = "Providers:Offline";

    /// <summary>How fast the text providers stream, so the UI shows text arriving like a model's; 0 = no delay (tests).</summary>
    [Range(0, 10_000)]
    public double TokensPerSecond { get; set; } = 30;

    /// <summary>
    /// Directories (separated like PATH) searched for ffmpeg and ffprobe instead of PATH; empty = PATH.
    /// </summary>
    public string? FfmpegSearchPath { get; set; }

    /// <summary>x264 preset of the clips: local clips favour speed over size.</summary>
    [Required, RegularExpression("^(ultrafast|superfast|veryfast|faster|fast|medium|slow|slower|veryslow)$")]
    public string X264Preset { get; set; } = "veryfast";

    /// <summary>Directories searched (recursively) for font files; empty = the usual system font folders.</summary>
    public string[] FontDirectories { get; set; } = [];
}
