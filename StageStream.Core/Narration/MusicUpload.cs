using StageStream.Core.Persistence;
using StageStream.Core.Projects;
using StageStream.Core.Providers;
using StageStream.Core.Providers.Offline;

namespace StageStream.Core.Narration;

/// <summary>
/// Stores an uploaded background track in the project's media folder after ffprobe has found an audio stream in it;
/// anything else (a picture, a text, a broken file) is refused with a 400 that says why.
/// </summary>
public sealed class MusicUpload(Ffmpeg ffmpeg, DataFolder data)
{
    public const long MaxBytes = 50 * 1024 * 1024;

    public static IReadOnlyList<string> Extensions { get; } = [".mp3", ".m4a", ".wav", ".ogg"];

    /// <summary>Checks and stores the file; returns its path relative to the media folder.</summary>
    public async Task<string> SaveAsync(string projectId, Stream content, string? fileName, CancellationToken cancellationToken)
    {
        var extension = Path.GetExtension(fileName ?? "").ToLowerInvariant();
        if (!Extensions.Contains(extension))
        {
            throw new InvalidInputException("Not a supported audio file",
                $"'{fileName}' is not an audio file StageStream takes; upload one of: {string.Join(", ", Extensions)}.") { Code = "music_not_audio", Args = [fileName ?? ""] };
        }
        var folder = data.ProjectMediaFolder(projectId);
        var path = Path.Combine(folder, $"music-{Guid.NewGuid().ToString("N")[..8]}{extension}");
        var part = path + ".part";
        try
        {
            await using (var file = File.Create(part))
            {
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += read;
                    if (total > MaxBytes)
                    {
                        throw new InvalidInputException("Music file too large", $"The music file is over {MaxBytes / 1024 / 1024} MB.", tooLarge: true) { Code = "music_too_large", Args = [MaxBytes / 1024 / 1024] };
                    }
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            AudioInfo info;
            try
            {
                info = await ffmpeg.ProbeAudioAsync(part, cancellationToken);
            }
            catch (ProviderException)
            {
                throw NotAudio(fileName, "ffprobe cannot read it");
            }
            if (info.Codec is null)
            {
                throw NotAudio(fileName, "it has no audio stream");
            }
            if (info.DurationSeconds < 0.5)
            {
                throw NotAudio(fileName, "it lasts less than half a second");
            }
            File.Move(part, path);
            return data.ToRelative(path);
        }
        finally
        {
            File.Delete(part);
        }
    }

    private static InvalidInputException NotAudio(string? fileName, string why) =>
        new("Not an audio file", $"'{fileName}' was refused as music: {why}. Upload an mp3, m4a, wav or ogg file.") { Code = "music_not_audio", Args = [fileName ?? ""] };
}
