using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>
/// The configured endpoint as the providers use it: checks the settings before any call (a missing one is
/// named), hands out the resilient <see cref="HttpClient"/> and chat clients over it.
/// </summary>
public sealed class OpenAIEndpoint(IHttpClientFactory httpClients, IOptionsMonitor<OpenAIOptions> options, ProviderRegistry registry)
{
    /// <summary>The named HttpClient with the retry pipeline; the chat SDK and the media calls share it.</summary>
    public const string HttpClientName = "openai";

    public OpenAIOptions Options => options.CurrentValue;

    public StageSettings StageSettings(string stage) => registry.SettingsFor(stage);

    /// <summary>The base URL, checked, with a trailing slash so relative paths append to it.</summary>
    public Uri BaseUri
    {
        get
        {
            var value = Options.BaseUrl?.Trim();
            if (string.IsNullOrEmpty(value))
            {
                throw new MissingDependencyException(
                    "No base URL is set for the openai provider. Set Providers:OpenAI:BaseUrl (environment variable Providers__OpenAI__BaseUrl), " +
                    "e.g. https://api.openai.com/v1 or http://localhost:11434/v1 for Ollama.");
            }
            if (!Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new MissingDependencyException($"Providers:OpenAI:BaseUrl '{value}' is not an http(s) URL.");
            }
            return uri;
        }
    }

    public string ApiKey
    {
        get
        {
            var key = Options.ApiKey?.Trim();
            return string.IsNullOrEmpty(key)
                ? throw new MissingDependencyException(
                    "No API key is set for the openai provider. Set Providers:OpenAI:ApiKey (environment variable Providers__OpenAI__ApiKey); " +
                    "for a local server that needs none, any non-empty value will do.")
                : key;
        }
    }

    /// <summary>The model of a stage: <c>Stages:{stage}:Model</c>, else the provider's default for the kind of work.</summary>
    public string ModelFor(string stage, string? fallback, string fallbackSetting)
    {
        var model = StageSettings(stage).Model?.Trim();
        if (!string.IsNullOrEmpty(model))
        {
            return model;
        }
        return string.IsNullOrWhiteSpace(fallback)
            ? throw new MissingDependencyException($"No model is set for stage '{stage}'. Set Stages:{stage}:Model or {fallbackSetting}.")
            : fallback.Trim();
    }

    public string ChatModelFor(string stage) => ModelFor(stage, Options.Model, "Providers:OpenAI:Model");

    public ErrorContext ContextFor(string stage, string model) => new(stage, model, BaseUri, Options);

    /// <summary>An HttpClient with the key set, for the REST calls the chat SDK does not cover (images, videos, models).</summary>
    public HttpClient CreateHttpClient()
    {
        var client = httpClients.CreateClient(HttpClientName);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return client;
    }

    /// <summary>
    /// An HttpClient without the key, for downloading the files a vendor links to: those live on storage hosts
    /// (signed URLs) that must not receive the key and may refuse a request that carries one.
    /// </summary>
    public HttpClient CreateDownloadClient() => httpClients.CreateClient(HttpClientName);

    /// <summary>
    /// A chat client of the OpenAI SDK on this endpoint, behind Microsoft.Extensions.AI's <see cref="IChatClient"/>.
    /// The SDK's own retries are off: the HttpClient's resilience pipeline retries, once, configurably.
    /// </summary>
    public IChatClient CreateChatClient(string model)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = BaseUri,
            Transport = new HttpClientPipelineTransport(httpClients.CreateClient(HttpClientName)),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // The SDK's timeout spans the whole call, retries included, so it must outlast them all; the
            // per-attempt timeout is the resilience pipeline's. It also ends a stream that stalls.
            NetworkTimeout = Options.RetryBudget,
        };
        return new OpenAIClient(new ApiKeyCredential(ApiKey), clientOptions).GetChatClient(model).AsIChatClient();
    }
}
