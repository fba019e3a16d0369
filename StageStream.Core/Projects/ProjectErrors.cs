using StageStream.Core.Pipeline;

namespace StageStream.Core.Projects;

/// <summary>A request the domain refuses; the web host maps each kind to its HTTP status and a problem+json body.</summary>
public abstract class ProjectRequestException(string title, string detail, Exception? inner = null) : Exception(detail, inner), ICodedError
{
    public string Title { get; } = title;

    /// <summary>
    /// A stable name of the refusal (<c>name_required</c>) with its values in <see cref="Args"/>: the pages say it in
    /// the reader's language from this (Core has no languages); <see cref="Exception.Message"/> stays the English detail.
    /// </summary>
    public string? Code { get; init; }

    public object[] Args { get; init; } = [];
}

/// <summary>404: the project or stage does not exist.</summary>
public sealed class NotFoundException(string title, string detail) : ProjectRequestException(title, detail)
{
    public static NotFoundException Project(string id) => new("Project not found", $"No project has the id '{id}'.") { Code = "project_not_found", Args = [id] };

    public static NotFoundException Stage(string stage) =>
        new("Stage not found", $"'{stage}' is not a stage. Valid stages: {StageCatalog.ValidList}.") { Code = "stage_not_found", Args = [stage] };
}

/// <summary>409: the request does not fit the project's current state.</summary>
public sealed class ConflictException(string title, string detail) : ProjectRequestException(title, detail);

/// <summary>400 (or 413 when too large): the input itself is wrong.</summary>
public sealed class InvalidInputException(string title, string detail, bool tooLarge = false) : ProjectRequestException(title, detail)
{
    public bool TooLarge { get; } = tooLarge;
}
