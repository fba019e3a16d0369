using StageStream.Core.Events;

namespace StageStream.Bench.Micro;

/// <summary>Events shaped like the real ones: ids as the transports make them, Chinese text as the app streams.</summary>
internal static class SampleEvents
{
    public const long FirstId = 1_764_400_000_000_000;

    public static StageEvent Token(string runId = "run-0123456789ab", string content = "词") => new()
    {
        Id = FirstId,
        Type = EventTypes.Token,
        ProjectId = "0f8fad5bd9cb469fa16570867728950e",
        Stage = "rewrite",
        RunId = runId,
        PipelineRunId = "pipe-0123456789ab",
        Timestamp = 1_764_400_000.123,
        PublishedAtMs = 1_764_400_000_123,
        Content = content,
    };

    /// <summary>The full text a token carries after <paramref name="chars"/> characters of output.</summary>
    public static string FullText(int chars) => string.Concat(Enumerable.Repeat("从前有一座山，山里有一座庙。", chars / 14 + 1))[..chars];
}
