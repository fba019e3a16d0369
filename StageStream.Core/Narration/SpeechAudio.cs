using StageStream.Core.Providers;
using StageStream.Core.Providers.Offline;

namespace StageStream.Core.Narration;

/// <summary>Every voice line is stored the same way, whoever spoke it: 48 kHz mono WAV, silence trimmed from both ends.</summary>
public static class SpeechAudio
{
    public const int SampleRate = 48000;

    /// <summary>Converts what a voice provider produced into the stored WAV and returns the speech's length in seconds.</summary>
    public static async Task<double> ToWavAsync(Ffmpeg ffmpeg, string input, string output, CancellationToken cancellationToken)
    {
        const string trim = "silenceremove=start_periods=1:start_threshold=-55dB";
        var part = output + ".part.wav";
        try
        {
            await ffmpeg.RunFfmpegAsync(
                ["-i", input, "-af", $"{trim},areverse,{trim},areverse", "-ar", SampleRate.ToString(), "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav", part],
                cancellationToken);
            var seconds = (await ffmpeg.ProbeAudioAsync(part, cancellationToken)).DurationSeconds;
            if (seconds <= 0.05)
            {
                throw new ProviderException("The voice came back silent.");
            }
            File.Move(part, output, overwrite: true);
            return seconds;
        }
        finally
        {
            File.Delete(part);
        }
    }
}
