using System.ComponentModel.DataAnnotations;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>
/// One OpenAI-compatible endpoint (<c>Providers:OpenAI</c>): OpenAI, DeepSeek, Qwen, SiliconFlow, Volcengine Ark,
/// Ollama, vLLM... Stages pick it with <c>Stages:{stage}:Provider=openai</c> and may override the model.
/// </summary>
public sealed class OpenAIOptions
{
    public const string Section = "Providers:OpenAI";

    /// <summary>The API root that <c>/chat/completions</c> is under, e.g. <c>https://api.openai.com/v1</c>.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Never logged, never shown; local servers that need none accept any non-empty value.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The chat model of the text stages unless <c>Stages:{stage}:Model</c> names another.</summary>
    public string? Model { get; set; }

    public string ImageModel { get; set; } = "gpt-image-1";

    /// <summary>
    /// The landscape size asked of the images API (e.g. <c>1792x1024</c> for dall-e-3); portrait projects ask for it with
    /// the sides swapped, square ones for the shorter side squared. Unset: 1536x1024, 1024x1536, 1024x1024 (gpt-image).
    /// Frames are fitted to the project's frame size either way.
    /// </summary>
    public string? ImageSize { get; set; }

    /// <summary><c>b64_json</c> or <c>url</c>; unset sends none, because gpt-image models refuse the parameter.</summary>
    public string? ImageResponseFormat { get; set; }

    public string VideoModel { get; set; } = "sora-2";

    /// <summary><c>openai</c> (POST /videos) or <c>seedance</c> (Volcengine Ark content generation tasks).</summary>
    [RegularExpression("^(?i)(openai|seedance)$", ErrorMessage = "Providers:OpenAI:VideoApi must be 'openai' or 'seedance'.")]
    public string VideoApi { get; set; } = VideoApis.OpenAI;

    /// <summary>
    /// Clip lengths the video model accepts; a shot gets the shortest one that covers it. Unset: 4, 8, 12 (sora)
    /// for the openai shape, 5, 10 for seedance.
    /// </summary>
    public int[]? VideoSeconds { get; set; }

    /// <summary>One HTTP attempt; a longer one is cancelled and counts as a transient failure.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Retries of a transient failure (429, 5xx, timeout, connection reset), with exponential backoff.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest a call can take with every retry: all attempts and the longest backoffs (with jitter).</summary>
    public TimeSpan RetryBudget =>
        RequestTimeout * (MaxRetries + 1) + RetryDelay * (1.5 * (Math.Pow(2, MaxRetries) - 1)) + TimeSpan.FromSeconds(5);

    /// <summary>A video job that has not finished by then is given up.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan VideoTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>First wait between polls of a video job; it grows by half each poll up to <see cref="MaxPollInterval"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(15);
}

public static class VideoApis
{
    public const string OpenAI = "openai";
    public const string Seedance = "seedance";
}
