using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace StageStream.Core.Projects;

/// <summary>
/// A failure with a stable name (<see cref="Code"/>, like <c>provider_timeout</c>) and its values, which the pages say in the
/// reader's language (<c>Error.{code}</c>); the exception's message stays the English technical detail, for the log and the API.
/// </summary>
public interface ICodedError
{
    string? Code { get; }

    object[] Args { get; }
}

/// <summary>
/// An error's code and values as kept with a stage run and sent in its events (<c>metadata.error_code</c>): the values as
/// text, and the coded error that caused it (one shot's failure inside a stage's), which is said after the values.
/// </summary>
public sealed record CodedError(string Code, IReadOnlyList<string> Args, CodedError? Cause = null)
{
    /// <summary>The name of the event metadata field that carries it.</summary>
    public const string MetadataField = "error_code";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The code of <paramref name="error"/>, or null when it has none.</summary>
    public static CodedError? Of(Exception error) => error is ICodedError { Code: { } code } coded
        ? new CodedError(code, coded.Args.Select(a => Convert.ToString(a, CultureInfo.InvariantCulture) ?? "").ToArray(),
            error.InnerException is { } inner ? Of(inner) : null)
        : null;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public JsonNode ToNode() => JsonSerializer.SerializeToNode(this, Json)!;

    /// <summary>Null for null or anything that is not a coded error (an older or foreign value).</summary>
    public static CodedError? FromJson(string? json)
    {
        try
        {
            return string.IsNullOrEmpty(json) ? null : Valid(JsonSerializer.Deserialize<CodedError>(json, Json));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The coded error in an event's metadata, if it has one.</summary>
    public static CodedError? FromMetadata(JsonObject? metadata)
    {
        try
        {
            return metadata?[MetadataField] is JsonObject node ? Valid(node.Deserialize<CodedError>(Json)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Metadata holding this error (added to <paramref name="metadata"/> when given).</summary>
    public JsonObject AddTo(JsonObject? metadata = null)
    {
        metadata ??= [];
        metadata[MetadataField] = ToNode();
        return metadata;
    }

    private static CodedError? Valid(CodedError? error) => error is { Code.Length: > 0, Args: not null } ? error : null;
}
