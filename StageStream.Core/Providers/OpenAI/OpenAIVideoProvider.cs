using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>
/// video_generation as a vendor job: submit the frame and prompt, poll with a growing interval (vendor progress
/// goes to <c>progress</c>), download the MP4. Two shapes: the OpenAI videos API and the Volcengine Ark
/// (Seedance) task API, chosen by <c>Providers:OpenAI:VideoApi</c>.
/// </summary>
public sealed class OpenAIVideoProvider(OpenAIEndpoint endpoint, TimeProvider clock, ILogger<OpenAIVideoProvider> logger) : IVideoProvider
{
    public string Name => OpenAIProvider.Name;

    /// <summary>A job as the vendor last described it.</summary>
    private sealed record JobState(string Status, int? Progress, bool Succeeded, bool Failed, string? Error, string? VideoUrl);

    public async Task GenerateAsync(ClipRequest request, IProgress<int> progress, CancellationToken cancellationToken)
    {
        const string stage = StageNames.VideoGeneration;
        var options = endpoint.Options;
        var model = endpoint.ModelFor(stage, options.VideoModel, "Providers:OpenAI:VideoModel");
        var context = endpoint.ContextFor(stage, model);
        var seedance = string.Equals(options.VideoApi, VideoApis.Seedance, StringComparison.OrdinalIgnoreCase);
        var prompt = PromptTemplates.RenderFor(stage, endpoint.StageSettings(stage), new Dictionary<string, string>
        {
            ["visual_prompt"] = request.VisualPrompt,
            ["narration"] = request.Narration,
            ["camera_move"] = request.Move.ToWire(),
            ["camera_description"] = request.CameraDescription,
        });
        var seconds = SecondsFor(request.DurationSeconds, options.VideoSeconds ?? (seedance ? [5, 10] : [4, 8, 12]));
        // The frame must be of the size the clip is asked in (the OpenAI API refuses any other).
        var frame = ImageFrames.ToPng(await File.ReadAllBytesAsync(request.ImagePath, cancellationToken), request.Width, request.Height);

        using var http = endpoint.CreateHttpClient();
        // Armed once the job is accepted: the submit itself is bounded by the request timeout.
        using var timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var token = linked.Token;
        string? id = null;
        JobState? state = null;
        try
        {
            (id, state) = seedance
                ? await SubmitSeedanceAsync(http, context, model, prompt, frame, seconds, request, token)
                : await SubmitOpenAIAsync(http, context, model, prompt, frame, seconds, request, token);
            timeout.CancelAfter(options.VideoTimeout);
            logger.LogInformation("Video job {JobId} submitted to {Host} with model {Model} ({Seconds} s)", id, context.Host, model, seconds);
            var reported = -1;
            var delay = options.PollInterval;
            while (true)
            {
                var percent = state.Succeeded ? 100 : Math.Clamp(state.Progress ?? 0, 0, 99);
                if (percent != reported)
                {
                    reported = percent;
                    progress.Report(percent);
                }
                if (state.Succeeded)
                {
                    break;
                }
                if (state.Failed)
                {
                    throw new ProviderException($"Video job {id} at {context.Host} ended '{state.Status}'" +
                        (state.Error is null ? "." : $": {OpenAIErrors.Scrub(state.Error, options)}")) { Code = "provider_video_failed", Args = [context.Host, state.Status] };
                }
                await Task.Delay(delay, clock, token);
                delay = TimeSpan.FromTicks(Math.Min(options.MaxPollInterval.Ticks, (long)(delay.Ticks * 1.5)));
                state = seedance ? await PollSeedanceAsync(http, context, id, token) : await PollOpenAIAsync(http, context, id, token);
            }

            if (seedance)
            {
                var url = state.VideoUrl ?? throw new ProviderException($"Video job {id} at {context.Host} succeeded without a content.video_url.");
                using var download = endpoint.CreateDownloadClient();
                await OpenAIHttp.DownloadAsync(download, new Uri(context.BaseUri, url), request.OutputPath, context, token);
            }
            else
            {
                // The content endpoint is the vendor's own API, so it takes the key.
                using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(context.BaseUri, $"videos/{Uri.EscapeDataString(id)}/content"));
                using var response = await OpenAIHttp.SendAsync(http, message, HttpCompletionOption.ResponseHeadersRead, context, token);
                await DataFolder.WriteAtomicallyAsync(request.OutputPath, async partial =>
                {
                    await using var file = File.Create(partial);
                    await response.Content.CopyToAsync(file, token);
                });
            }
            logger.LogInformation("Video job {JobId} downloaded to {Path}", id, request.OutputPath);
        }
        catch (OperationCanceledException error) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ProviderException(
                $"Video job {id ?? "(not yet submitted)"} at {context.Host} did not finish within {options.VideoTimeout.TotalSeconds:0.#} s" +
                (state is null ? "" : $" (last status '{state.Status}', {state.Progress ?? 0}%)") +
                ". Raise Providers:OpenAI:VideoTimeout if the vendor is slow.", error);
        }
    }

    /// <summary>The shortest clip length the model offers that covers the shot, else its longest.</summary>
    public static int SecondsFor(double duration, IReadOnlyList<int> choices)
    {
        if (choices.Count == 0)
        {
            return (int)Math.Ceiling(duration);
        }
        var sorted = choices.Order().ToList();
        return sorted.FirstOrDefault(s => s >= duration - 0.001, sorted[^1]);
    }

    // OpenAI: POST /videos (multipart), GET /videos/{id}: queued, in_progress, completed, failed; GET /videos/{id}/content.
    private static async Task<(string, JobState)> SubmitOpenAIAsync(
        HttpClient http, ErrorContext context, string model, string prompt, byte[] frame, int seconds, ClipRequest request, CancellationToken token)
    {
        var image = new ByteArrayContent(frame);
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var form = new MultipartFormDataContent
        {
            { new StringContent(model), "model" },
            { new StringContent(prompt), "prompt" },
            { new StringContent(seconds.ToString(CultureInfo.InvariantCulture)), "seconds" },
            { new StringContent($"{request.Width}x{request.Height}"), "size" },
            { image, "input_reference", "frame.png" },
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(context.BaseUri, "videos")) { Content = form };
        var job = await OpenAIHttp.SendJsonAsync(http, message, context, token);
        var id = job["id"]?.GetValue<string>() ?? throw new ProviderException($"{context.Host} accepted the video job without an id.");
        return (id, OpenAIState(job));
    }

    private static async Task<JobState> PollOpenAIAsync(HttpClient http, ErrorContext context, string id, CancellationToken token)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(context.BaseUri, $"videos/{Uri.EscapeDataString(id)}"));
        return OpenAIState(await OpenAIHttp.SendJsonAsync(http, message, context, token));
    }

    private static JobState OpenAIState(JsonObject job)
    {
        var status = job["status"]?.GetValue<string>() ?? "queued";
        var progress = job["progress"] is JsonValue value && value.TryGetValue<double>(out var number) ? (int)number : (int?)null;
        var error = job["error"] is JsonObject e ? e["message"]?.ToString() ?? e.ToJsonString() : job["error"]?.ToString();
        return new JobState(status, progress, status == "completed", status is "failed" or "cancelled" or "expired", error, null);
    }

    // Seedance: POST /contents/generations/tasks, GET .../tasks/{id}: queued, running, succeeded, failed, expired.
    private static async Task<(string, JobState)> SubmitSeedanceAsync(
        HttpClient http, ErrorContext context, string model, string prompt, byte[] frame, int seconds, ClipRequest request, CancellationToken token)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["content"] = new JsonArray
            {
                new JsonObject { ["type"] = "text", ["text"] = prompt },
                new JsonObject
                {
                    ["type"] = "image_url",
                    ["image_url"] = new JsonObject { ["url"] = "data:image/png;base64," + Convert.ToBase64String(frame) },
                    ["role"] = "first_frame",
                },
            },
            ["ratio"] = Ratio(request.Width, request.Height),
            ["duration"] = seconds,
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(context.BaseUri, "contents/generations/tasks")) { Content = JsonContent.Create(body) };
        var task = await OpenAIHttp.SendJsonAsync(http, message, context, token);
        var id = task["id"]?.GetValue<string>() ?? throw new ProviderException($"{context.Host} accepted the video task without an id.");
        return (id, task["status"] is null ? new JobState("queued", 0, false, false, null, null) : SeedanceState(task));
    }

    private static async Task<JobState> PollSeedanceAsync(HttpClient http, ErrorContext context, string id, CancellationToken token)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, new Uri(context.BaseUri, $"contents/generations/tasks/{Uri.EscapeDataString(id)}"));
        return SeedanceState(await OpenAIHttp.SendJsonAsync(http, message, context, token));
    }

    /// <summary>Seedance reports no percentage; its status is the progress there is (queued 0, running 50).</summary>
    private static JobState SeedanceState(JsonObject task)
    {
        var status = task["status"]?.GetValue<string>() ?? "queued";
        var error = task["error"] is JsonObject e ? e["message"]?.ToString() ?? e.ToJsonString() : null;
        var url = task["content"]?["video_url"]?.GetValue<string>();
        var progress = status switch { "running" => 50, "succeeded" => 100, _ => 0 };
        return new JobState(status, progress, status == "succeeded", status is "failed" or "expired" or "cancelled", error, url);
    }

    private static string Ratio(int width, int height)
    {
        var ratio = (double)width / height;
        (string Name, double Value)[] known = [("16:9", 16.0 / 9), ("9:16", 9.0 / 16), ("4:3", 4.0 / 3), ("3:4", 3.0 / 4), ("1:1", 1), ("21:9", 21.0 / 9)];
        return known.MinBy(k => Math.Abs(k.Value - ratio)).Name;
    }
}
