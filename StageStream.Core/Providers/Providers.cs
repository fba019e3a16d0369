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

/// <summary>storyboard: the rewritten text in, shots out. Model output may be streamed through <paramref name="onToken"/>.</summary>
public interface IStoryboardProvider : INamedProvider
{
    Task<IReadOnlyList<ShotDraft>> PlanAsync(string text, Func<string, ValueTask> onToken, CancellationToken cancellationToken);
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

/// <summary>Joins the clips into the final film; always local (ffmpeg).</summary>
public interface IFilmAssembler
{
    Task AssembleAsync(IReadOnlyList<string> clipPaths, string outputPath, CancellationToken cancellationToken);
}

/// <summary>A dependency the stage needs is not there (ffmpeg, a key, a host); the message says what to install or configure.</summary>
public sealed class MissingDependencyException(string message) : Exception(message);

/// <summary>A provider failed in a way a user can act on; the message is shown as the stage error.</summary>
public sealed class ProviderException(string message, Exception? inner = null) : Exception(message, inner);
