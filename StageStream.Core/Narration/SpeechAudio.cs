using StageStream.Core.Persistence;
using StageStream.Core.Providers;
using StageStream.Core.Providers.Offline;

namespace StageStream.Core.Narration;

/// <summary>
/// Every voice line is stored the same way, whoever spoke it: a 16-bit mono PCM WAV with the silence at both ends
/// trimmed. The film's mix brings every line to <see cref="SampleRate"/>.
/// </summary>
public static class SpeechAudio
{
    public const int SampleRate = 48000;

    /// <summary>Samples quieter than this (-55 dBFS) at either end are silence.</summary>
    private const int SilenceThreshold = 58;

    /// <summary>Converts what a voice provider produced into the stored WAV and returns the speech's length in seconds.</summary>
    public static async Task<double> ToWavAsync(Ffmpeg ffmpeg, string input, string output, CancellationToken cancellationToken)
    {
        // espeak-ng and most /audio/speech answers are 16-bit mono PCM already: trimmed here, without an ffmpeg process.
        if (TrimMonoPcm(input, output) is { } trimmed)
        {
            return trimmed;
        }
        const string trim = "silenceremove=start_periods=1:start_threshold=-55dB";
        var part = output + ".part.wav";
        try
        {
            await ffmpeg.RunFfmpegAsync(
                ["-i", input, "-af", $"{trim},areverse,{trim},areverse", "-ar", SampleRate.ToString(), "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav", part],
                cancellationToken);
            var seconds = PcmSeconds(part);
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

    /// <summary>Copies a 16-bit mono PCM WAV without its silent ends; null when the file is anything else.</summary>
    internal static double? TrimMonoPcm(string input, string output)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(input);
        }
        catch (IOException)
        {
            return null;
        }
        if (bytes.Length < 44 || BitConverter.ToUInt32(bytes, 0) != 0x46464952 || BitConverter.ToUInt32(bytes, 8) != 0x45564157)
        {
            return null;
        }
        int? rate = null;
        var position = 12;
        while (position + 8 <= bytes.Length)
        {
            var id = BitConverter.ToUInt32(bytes, position);
            var size = (int)Math.Min(BitConverter.ToUInt32(bytes, position + 4), (uint)(bytes.Length - position - 8));
            var body = position + 8;
            if (id == 0x20746D66 && size >= 16)
            {
                var (format, channels, bits) = (BitConverter.ToInt16(bytes, body), BitConverter.ToInt16(bytes, body + 2), BitConverter.ToInt16(bytes, body + 14));
                if (format != 1 || channels != 1 || bits != 16)
                {
                    return null;
                }
                rate = BitConverter.ToInt32(bytes, body + 4);
            }
            else if (id == 0x61746164 && rate is { } sampleRate)
            {
                var samples = size / 2;
                int Sample(int i) => Math.Abs((int)BitConverter.ToInt16(bytes, body + 2 * i));
                var first = 0;
                while (first < samples && Sample(first) <= SilenceThreshold)
                {
                    first++;
                }
                var last = samples - 1;
                while (last > first && Sample(last) <= SilenceThreshold)
                {
                    last--;
                }
                var count = Math.Max(0, last - first + 1);
                if (count < sampleRate / 20)
                {
                    throw new ProviderException("The voice came back silent.");
                }
                WriteWav(output, bytes.AsSpan(body + 2 * first, 2 * count), sampleRate);
                return (double)count / sampleRate;
            }
            position = body + size + (size & 1);
        }
        return null;
    }

    private static void WriteWav(string path, ReadOnlySpan<byte> data, int sampleRate)
    {
        var part = path + DataFolder.PartialSuffix;
        using (var writer = new BinaryWriter(File.Create(part)))
        {
            writer.Write(0x46464952u);
            writer.Write(36 + data.Length);
            writer.Write(0x45564157u);
            writer.Write(0x20746D66u);
            writer.Write(16);
            writer.Write((short)1);
            writer.Write((short)1);
            writer.Write(sampleRate);
            writer.Write(sampleRate * 2);
            writer.Write((short)2);
            writer.Write((short)16);
            writer.Write(0x61746164u);
            writer.Write(data.Length);
            writer.Write(data);
        }
        File.Move(part, path, overwrite: true);
    }

    /// <summary>The length of a PCM WAV from its header (no ffprobe process for each of a film's voice lines).</summary>
    public static double PcmSeconds(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadUInt32() != 0x46464952 || reader.ReadUInt32() == 0 || reader.ReadUInt32() != 0x45564157)
        {
            throw new ProviderException($"{Path.GetFileName(path)} is not a WAV file.");
        }
        var byteRate = 0;
        while (reader.BaseStream.Position + 8 <= reader.BaseStream.Length)
        {
            var id = reader.ReadUInt32();
            var size = reader.ReadUInt32();
            if (id == 0x20746D66)
            {
                reader.ReadBytes(8);
                byteRate = reader.ReadInt32();
                reader.BaseStream.Seek(size - 12, SeekOrigin.Current);
            }
            else if (id == 0x61746164)
            {
                // ffmpeg writing to a pipe-like target may leave the size unset; the rest of the file is the data then.
                var bytes = Math.Min(size, reader.BaseStream.Length - reader.BaseStream.Position);
                return byteRate > 0 ? (double)bytes / byteRate : 0;
            }
            else
            {
                reader.BaseStream.Seek(size + (size & 1), SeekOrigin.Current);
            }
        }
        return 0;
    }
}
