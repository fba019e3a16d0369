using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using StageStream.Core.Narration;
using StageStream.Core.Projects;
using StageStream.Core.Providers.Offline;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>
/// The narration voice of an OpenAI-compatible endpoint: <c>POST {base}/audio/speech {model, input, voice, response_format}</c>,
/// answered with the audio itself. Many vendors serve this shape.
/// </summary>
public sealed class OpenAIVoiceProvider(OpenAIEndpoint endpoint, Ffmpeg ffmpeg, ILogger<OpenAIVoiceProvider> logger) : IVoiceProvider
{
    public const string DefaultModel = "gpt-4o-mini-tts";
    public const string DefaultVoice = "alloy";

    public string Name => OpenAIProvider.Name;

    public async Task<double> SpeakAsync(SpeechRequest request, CancellationToken cancellationToken)
    {
        var model = string.IsNullOrWhiteSpace(request.Model) ? DefaultModel : request.Model.Trim();
        var voice = string.IsNullOrWhiteSpace(request.Voice) ? DefaultVoice : request.Voice.Trim();
        // Narration is made in the video stage; errors name it and the Narration settings.
        var context = endpoint.ContextFor(StageNames.VideoGeneration, model);
        var body = new JsonObject { ["model"] = model, ["input"] = request.Text, ["voice"] = voice, ["response_format"] = "wav" };

        using var http = endpoint.CreateHttpClient();
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(context.BaseUri, "audio/speech")) { Content = JsonContent.Create(body) };
        logger.LogInformation("Speech with model {Model}, voice {Voice} at {Host}", model, voice, context.Host);
        byte[] audio;
        try
        {
            using var response = await OpenAIHttp.SendAsync(http, message, HttpCompletionOption.ResponseContentRead, context, cancellationToken);
            audio = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
        catch (MissingDependencyException error) when (error.Message.Contains("404", StringComparison.Ordinal))
        {
            throw new MissingDependencyException(
                $"{context.Host} has no /audio/speech for model '{model}' (404). Check Narration:Model (or the project's voice model) and Providers:OpenAI:BaseUrl.");
        }
        if (audio.Length == 0)
        {
            throw new ProviderException($"{context.Host} answered /audio/speech with no audio.");
        }
        // Vendors that ignore response_format send MP3 or Opus; ffmpeg reads them all.
        var raw = request.OutputPath + ".speech";
        try
        {
            await File.WriteAllBytesAsync(raw, audio, cancellationToken);
            return await SpeechAudio.ToWavAsync(ffmpeg, raw, request.OutputPath, cancellationToken);
        }
        finally
        {
            File.Delete(raw);
        }
    }
}
