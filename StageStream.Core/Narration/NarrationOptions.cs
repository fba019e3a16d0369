using System.ComponentModel.DataAnnotations;

namespace StageStream.Core.Narration;

/// <summary>The narration voice, the subtitles and the film's sound, bound from <c>Narration</c>.</summary>
public sealed class NarrationOptions
{
    public const string Section = "Narration";

    /// <summary>Which voice provider speaks the narration: <c>offline</c> (espeak-ng) or <c>openai</c> (<c>/audio/speech</c>).</summary>
    [Required]
    public string Provider { get; set; } = Providers.OfflineProvider.Name;

    /// <summary>The voice; empty = the provider's default (offline: Mandarin or English by the text; openai: <c>alloy</c>). A project may set its own.</summary>
    public string? Voice { get; set; }

    /// <summary>The speech model of the openai provider (default <c>gpt-4o-mini-tts</c>). A project may set its own.</summary>
    public string? Model { get; set; }

    /// <summary>Silence before the speech in each shot.</summary>
    [Range(0, 5)]
    public double LeadSeconds { get; set; } = 0.2;

    /// <summary>Silence after the speech, before the next shot: a shot lasts lead + speech + pause unless its duration is fixed.</summary>
    [Range(0, 10)]
    public double PauseSeconds { get; set; } = 0.6;

    /// <summary>Integrated loudness of the film's sound (EBU R128), in LUFS.</summary>
    [Range(-40, -5)]
    public double LoudnessTarget { get; set; } = -16;

    /// <summary>The music's level under the narration before ducking, in dB (0 = as uploaded).</summary>
    [Range(-60, 0)]
    public double MusicVolumeDb { get; set; } = -8;

    /// <summary>The font burned-in subtitles are drawn with (through fontconfig); Noto Sans CJK covers Chinese and English.</summary>
    [Required]
    public string SubtitleFont { get; set; } = "Noto Sans CJK SC";
}
