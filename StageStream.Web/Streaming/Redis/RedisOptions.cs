using System.ComponentModel.DataAnnotations;

namespace StageStream.Web.Streaming.Redis;

/// <summary>The Redis transport's settings (section <c>Redis</c>); the server itself is <c>ConnectionStrings:Redis</c>.</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";
    public const string ConnectionStringName = "Redis";

    /// <summary>Prefix of every key and channel, so several deployments can share one Redis.</summary>
    [Required(AllowEmptyStrings = false)]
    public string KeyPrefix { get; set; } = "stagestream:";

    /// <summary>Approximate cap on each project's stream (XADD MAXLEN ~), a guard against runaway runs.</summary>
    [Range(1000, int.MaxValue)]
    public int MaxLength { get; set; } = 100_000;

    /// <summary>Events newer than this are kept; null means <c>Events:RetentionSeconds</c>. The latest run of each stage and of the pipeline is always kept.</summary>
    [Range(1, int.MaxValue)]
    public int? RetentionSeconds { get; set; }

    /// <summary>A project's stream expires this long after its last event (0 = never).</summary>
    [Range(0, int.MaxValue)]
    public int KeyTtlHours { get; set; } = 168;

    /// <summary>Also publish every event's JSON on the old system's channel <c>ai_story:project:{id}:stage:{stage}</c>.</summary>
    public bool PublishLegacyChannels { get; set; }

    /// <summary>How long events published while Redis is unreachable are kept in memory, waiting for it to return.</summary>
    [Range(1, 86_400)]
    public int OutageBufferSeconds { get; set; } = 60;

    /// <summary>Upper bound on events held during an outage, whatever their age.</summary>
    [Range(100, int.MaxValue)]
    public int OutageBufferMaxEvents { get; set; } = 200_000;
}

/// <summary>Every key and channel name in one place.</summary>
public sealed class RedisKeys(string prefix)
{
    /// <summary>The stream of one project's events; entry ids are <c>{eventId}-0</c>.</summary>
    public string Stream(string projectId) => $"{prefix}project:{projectId}:events";

    /// <summary>The one channel every process listens to: each message names a project and the id just appended.</summary>
    public string Announcements => $"{prefix}events";

    /// <summary>The old system's channel, for its tools (compatibility switch).</summary>
    public static string Legacy(string projectId, string stage) => $"ai_story:project:{projectId}:stage:{stage}";
}
