using StageStream.Core.Pipeline.Executors;
using StageStream.Core.Projects;

namespace StageStream.Core.Pipeline;

/// <summary>
/// One stage, all in one place: its wire name, its kind of work (which concurrency pool it waits in, and
/// which model setting of a provider it falls back to), its executor, and what it needs before it can run.
/// </summary>
/// <param name="MissingInput">The stage whose output this one needs and the project lacks, or null when it can run.</param>
public sealed record StageDescriptor(string Name, WorkKind Kind, Type Executor, Func<Project, string?> MissingInput);

/// <summary>
/// The stages in pipeline order. Adding a stage means a line here, its executor and its texts; projects
/// created before it existed get its record when it is first needed (<see cref="Project.Stage"/>).
/// </summary>
public static class StageCatalog
{
    public static IReadOnlyList<StageDescriptor> All { get; } =
    [
        new(StageNames.Rewrite, WorkKind.Llm, typeof(RewriteExecutor), _ => null),
        new(StageNames.Storyboard, WorkKind.Llm, typeof(StoryboardExecutor),
            p => string.IsNullOrWhiteSpace(p.RewrittenText) ? StageNames.Rewrite : null),
        new(StageNames.ImageGeneration, WorkKind.Image, typeof(ImageExecutor),
            p => p.Shots.Count == 0 ? StageNames.Storyboard : null),
        new(StageNames.CameraMovement, WorkKind.Llm, typeof(CameraExecutor),
            p => p.Shots.Count == 0 ? StageNames.Storyboard : null),
        new(StageNames.VideoGeneration, WorkKind.Video, typeof(VideoExecutor), p =>
            p.Shots.Count == 0 ? StageNames.Storyboard
            : p.Shots.Any(s => s.ImagePath is null) ? StageNames.ImageGeneration
            : p.Shots.Any(s => s.CameraMove is null) ? StageNames.CameraMovement
            : null),
    ];

    /// <summary>The stage names in pipeline order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(d => d.Name).ToArray();

    public static string ValidList { get; } = string.Join(", ", Names);

    public static bool IsValid(string? stage) => stage is not null && Names.Contains(stage);

    /// <summary>The stage's position in the pipeline; -1 for an unknown name.</summary>
    public static int IndexOf(string stage) => Array.IndexOf((string[])Names, stage);

    public static StageDescriptor Of(string stage) => All.FirstOrDefault(d => d.Name == stage)
        ?? throw new ArgumentException($"'{stage}' is not a stage. Valid stages: {ValidList}.", nameof(stage));
}

/// <summary>The concurrency pool a stage's work counts against (the old system's Celery queues), and the kind of model it uses.</summary>
public enum WorkKind { Llm, Image, Video }
