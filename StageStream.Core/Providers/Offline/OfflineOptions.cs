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
    /// Directories (separated like PATH) searched for ffmpeg, ffprobe and espeak-ng instead of PATH; empty = PATH.
    /// </summary>
    public string? FfmpegSearchPath { get; set; }

    /// <summary>x264 preset of the clips: local clips of still frames favour speed over size.</summary>
    [Required, RegularExpression("^(ultrafast|superfast|veryfast|faster|fast|medium|slow|slower|veryslow)$")]
    public string X264Preset { get; set; } = "ultrafast";

    /// <summary>espeak-ng voices of the offline narration, chosen by the text's language (a project's voice replaces both).</summary>
    [Required]
    public string EspeakVoiceChinese { get; set; } = "cmn";

    [Required]
    public string EspeakVoiceEnglish { get; set; } = "en-us";

    /// <summary>espeak-ng speed in words a minute; Mandarin at 240 speaks about four characters a second.</summary>
    [Range(80, 500)]
    public int EspeakSpeedChinese { get; set; } = 240;

    [Range(80, 500)]
    public int EspeakSpeedEnglish { get; set; } = 165;

    /// <summary>Draw a small "offline" mark in the corner of the offline frames.</summary>
    public bool MarkFrames { get; set; }

    /// <summary>
    /// x264 threads per clip; 0 = x264's choice. Clips are made several at once (Pipeline:ShotConcurrency), so one
    /// thread each keeps the cores busy with the least overhead.
    /// </summary>
    [Range(0, 64)]
    public int X264Threads { get; set; } = 1;

    /// <summary>Directories searched (recursively) for font files; empty = the usual system font folders.</summary>
    public string[] FontDirectories { get; set; } = [];
}
