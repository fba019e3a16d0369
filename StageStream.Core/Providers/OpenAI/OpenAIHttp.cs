using System.Net.Http.Json;
using System.Text.Json.Nodes;
using StageStream.Core.Persistence;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>The REST calls around the chat SDK: JSON in and out, files down, every failure made actionable.</summary>
public static class OpenAIHttp
{
    public static async Task<JsonObject> SendJsonAsync(
        HttpClient http, HttpRequestMessage request, ErrorContext context, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(http, request, HttpCompletionOption.ResponseContentRead, context, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken)
                ?? throw new ProviderException($"{context.Host} answered {request.RequestUri?.AbsolutePath} with an empty body.");
        }
        catch (System.Text.Json.JsonException error)
        {
            throw new ProviderException($"{context.Host} answered {request.RequestUri?.AbsolutePath} with something that is not JSON ({error.Message}).", error);
        }
    }

    /// <summary>Sends, and throws the translated error unless the status is a success.</summary>
    public static async Task<HttpResponseMessage> SendAsync(
        HttpClient http, HttpRequestMessage request, HttpCompletionOption completion, ErrorContext context, CancellationToken cancellationToken,
        bool download = false)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, cancellationToken);
        }
        catch (Exception error) when (error is HttpRequestException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException)
        {
            var translated = OpenAIErrors.Translate(error, context, cancellationToken);
            if (ReferenceEquals(translated, error))
            {
                throw;
            }
            throw translated;
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (download)
            {
                // A signed file URL that expired or was refused says nothing about the key or the model.
                throw new ProviderException($"Downloading the result from {request.RequestUri?.Host} failed ({(int)response.StatusCode}).");
            }
            throw OpenAIErrors.FromStatus((int)response.StatusCode, body, context);
        }
    }

    /// <summary>Streams a file to <paramref name="path"/>; a partial download never takes its place.</summary>
    public static async Task DownloadAsync(HttpClient http, Uri url, string path, ErrorContext context, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await SendAsync(http, request, HttpCompletionOption.ResponseHeadersRead, context, cancellationToken, download: true);
        await DataFolder.WriteAtomicallyAsync(path, async partial =>
        {
            await using var file = File.Create(partial);
            await response.Content.CopyToAsync(file, cancellationToken);
        });
    }

    public static async Task<byte[]> DownloadBytesAsync(HttpClient http, Uri url, ErrorContext context, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await SendAsync(http, request, HttpCompletionOption.ResponseContentRead, context, cancellationToken, download: true);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }
}
