using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using StageStream.Core.Narration;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// The narration voice without a model or network: Debian's espeak-ng, Mandarin (<c>cmn</c>) for Chinese text and
/// English otherwise, unless a voice is named.
/// </summary>
public sealed class EspeakVoiceProvider(Ffmpeg ffmpeg, IOptionsMonitor<OfflineOptions> options) : IVoiceProvider
{
    public string Name => OfflineProvider.Name;

    public async Task<double> SpeakAsync(SpeechRequest request, CancellationToken cancellationToken)
    {
        // The voice is stored through ffmpeg; without it the stage cannot go on, and that is the first thing to say.
        ffmpeg.Locate("ffmpeg");
        var settings = options.CurrentValue;
        var chinese = OfflineText.IsChinese(request.Text);
        var voice = string.IsNullOrWhiteSpace(request.Voice) ? (chinese ? settings.EspeakVoiceChinese : settings.EspeakVoiceEnglish) : request.Voice.Trim();
        var speed = chinese ? settings.EspeakSpeedChinese : settings.EspeakSpeedEnglish;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!);
        // The text goes in a file, so a narration that starts with '-' is never read as an option.
        var text = Path.Combine(Path.GetTempPath(), $"stagestream-{Guid.NewGuid():N}.txt");
        var raw = request.OutputPath + ".espeak.wav";
        try
        {
            await File.WriteAllTextAsync(text, request.Text, new UTF8Encoding(false), cancellationToken);
            await ffmpeg.RunToolAsync(Ffmpeg.EspeakTool,
                ["-v", voice, "-s", speed.ToString(CultureInfo.InvariantCulture), "-b", "1", "-w", raw, "-f", text], cancellationToken);
            return await SpeechAudio.ToWavAsync(ffmpeg, raw, request.OutputPath, cancellationToken);
        }
        finally
        {
            File.Delete(text);
            File.Delete(raw);
        }
    }
}
