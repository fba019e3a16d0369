using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using StageStream.Core.Projects;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>What a connection test found, worded for the settings page.</summary>
public sealed record ConnectionTestResult(bool Success, string Message);

/// <summary>
/// The settings page's "test connection": lists the models (<c>GET {base}/models</c>); a server without that
/// list gets a one-token chat instead. Either way a wrong key, host or model is named.
/// </summary>
public sealed class OpenAIConnectionTester(OpenAIEndpoint endpoint)
{
    public async Task<ConnectionTestResult> TestAsync(CancellationToken cancellationToken)
    {
        try
        {
            var model = endpoint.Options.Model?.Trim();
            var context = endpoint.ContextFor(StageNames.Rewrite, model ?? "(none)");
            using var http = endpoint.CreateHttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(context.BaseUri, "models"));
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.MethodNotAllowed && !string.IsNullOrEmpty(model))
            {
                return await ChatOneTokenAsync(model!, context, cancellationToken);
            }
            if (!response.IsSuccessStatusCode)
            {
                throw OpenAIErrors.FromStatus((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), context);
            }
            var list = (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))?["data"] as JsonArray ?? [];
            var ids = list.Select(m => m?["id"]?.ToString()).OfType<string>().ToList();
            var found = model is null ? "" : ids.Contains(model) ? $" including '{model}'" : $"; '{model}' is not among them";
            return new ConnectionTestResult(model is null || ids.Count == 0 || ids.Contains(model),
                $"Connected to {context.Host}: {ids.Count} models{found}.");
        }
        catch (Exception error) when (error is ProviderException or MissingDependencyException)
        {
            return new ConnectionTestResult(false, error.Message);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var context = SafeContext();
            return new ConnectionTestResult(false, context is null ? error.Message : OpenAIErrors.Translate(error, context, cancellationToken).Message);
        }
    }

    private async Task<ConnectionTestResult> ChatOneTokenAsync(string model, ErrorContext context, CancellationToken cancellationToken)
    {
        using var client = endpoint.CreateChatClient(model);
        try
        {
            await client.GetResponseAsync("Say OK.", new ChatOptions { MaxOutputTokens = 1 }, cancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw OpenAIErrors.Translate(error, context, cancellationToken);
        }
        return new ConnectionTestResult(true, $"Connected to {context.Host}: model '{model}' answered.");
    }

    private ErrorContext? SafeContext()
    {
        try
        {
            return endpoint.ContextFor(StageNames.Rewrite, endpoint.Options.Model ?? "(none)");
        }
        catch (MissingDependencyException)
        {
            return null;
        }
    }
}
