using StageStream.Core.Projects;

namespace StageStream.Core.Providers;

/// <summary>A provider is chosen per stage by its name (<c>Stages:{stage}:Provider</c>); users see the name.</summary>
public interface INamedProvider
{
    /// <summary>"offline", "openai", ...</summary>
    string Name { get; }
}

/// <summary>rewrite: the original text in, the rewritten text out as a stream of tokens.</summary>
public interface IRewriteProvider : INamedProvider
{
    IAsyncEnumerable<string> RewriteAsync(string originalText, CancellationToken cancellationToken);
}

/// <summary>One storyboard row as a provider proposes it.</summary>
public sealed record ShotDraft(string Narration, string VisualPrompt, string ShotType, double DurationSeconds);

/// <summary>What the storyboard aims at: about this many seconds of film, or this many shots (at most one is set).</summary>
public sealed record StoryboardTarget(int? Seconds, int? Shots)
{
    public static StoryboardTarget None { get; } = new(null, null);
}

/// <summary>storyboard: the rewritten text in, shots out. Model output may be streamed through <paramref name="onToken"/>.</summary>
public interface IStoryboardProvider : INamedProvider
{
    Task<IReadOnlyList<ShotDraft>> PlanAsync(string text, StoryboardTarget target, Func<string, ValueTask> onToken, CancellationToken cancellationToken);
}

/// <summary>What an image provider needs to know of a shot.</summary>
public sealed record ImageRequest(
    string ProjectId, int Sequence, int ShotCount, string Narration, string VisualPrompt, string ShotType, int Width, int Height);

/// <summary>image_generation: one PNG per shot.</summary>
public interface IImageProvider : INamedProvider
{
    /// <summary>Returns the PNG bytes of the frame.</summary>
    Task<byte[]> GenerateAsync(ImageRequest request, CancellationToken cancellationToken);
}

public sealed record CameraRequest(int Sequence, int ShotCount, string Narration, string VisualPrompt, string ShotType, double DurationSeconds);

public sealed record CameraPlan(CameraMove Move, string Description);

/// <summary>camera_movement: a move from the fixed set, and a description, per shot.</summary>
public interface ICameraProvider : INamedProvider
{
    Task<CameraPlan> PlanAsync(CameraRequest request, CancellationToken cancellationToken);
}

/// <summary>What a video provider turns into one clip: the shot's frame and its camera move.</summary>
public sealed record ClipRequest(
    string ImagePath, CameraMove Move, string CameraDescription, string Narration, string VisualPrompt,
    double DurationSeconds, int Width, int Height, string OutputPath);

/// <summary>video_generation: one MP4 clip per shot, written to <see cref="ClipRequest.OutputPath"/>.</summary>
public interface IVideoProvider : INamedProvider
{
    /// <param name="progress">0-100 as the provider knows it (vendor jobs report it; local work may not).</param>
    Task GenerateAsync(ClipRequest request, IProgress<int> progress, CancellationToken cancellationToken);
}

/// <summary>What a voice provider speaks: one shot's narration, written as a WAV to <see cref="OutputPath"/>.</summary>
/// <param name="Voice">The voice to use; null = the provider's choice for the text.</param>
/// <param name="Model">The speech model (providers that have models); null = the configured one.</param>
public sealed record SpeechRequest(string Text, string? Voice, string? Model, string OutputPath);

/// <summary>The narration voice of the video stage: speaks a shot's narration.</summary>
public interface IVoiceProvider : INamedProvider
{
    /// <summary>Writes the speech as a WAV file and returns how long it lasts, in seconds.</summary>
    Task<double> SpeakAsync(SpeechRequest request, CancellationToken cancellationToken);
}

/// <summary>One shot of the film: its clip, how long it lasts, and its speech, starting <paramref name="VoiceOffsetSeconds"/> into it.</summary>
public sealed record FilmShot(string ClipPath, double DurationSeconds, string? VoicePath, double VoiceOffsetSeconds);

/// <param name="SubtitlesPath">A SubRip file: the film's soft subtitle track, and what is burned in when <paramref name="BurnSubtitles"/>.</param>
/// <param name="MusicPath">A background track, looped or faded to the film's length and ducked under the narration.</param>
/// <param name="ClipsAlike">The clips are known to share codec, size and rate (all from the offline provider), so they need no probing.</param>
public sealed record FilmRequest(
    IReadOnlyList<FilmShot> Shots, string OutputPath, string? SubtitlesPath, bool BurnSubtitles, string? MusicPath, string? SubtitleLanguage = null,
    bool ClipsAlike = false);

/// <summary>Joins the clips into the final film with its narration, music and subtitles; always local (ffmpeg).</summary>
public interface IFilmAssembler
{
    Task AssembleAsync(FilmRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// A dependency the stage needs is not there (ffmpeg, a key, a host); the message says what to install or configure.
/// With a <see cref="Code"/>, the pages say it in the reader's language (see <see cref="ICodedError"/>).
/// </summary>
public sealed class MissingDependencyException(string message) : Exception(message), ICodedError
{
    public string? Code { get; init; }

    public object[] Args { get; init; } = [];
}

/// <summary>A provider failed in a way a user can act on; the message is the stage error's technical detail.</summary>
public sealed class ProviderException(string message, Exception? inner = null) : Exception(message, inner), ICodedError
{
    public string? Code { get; init; }

    public object[] Args { get; init; } = [];
}
