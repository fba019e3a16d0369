using System.ClientModel;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Polly.Timeout;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>What an error message needs to name: the stage, the model, the host, and how many retries were made.</summary>
public sealed record ErrorContext(string Stage, string Model, Uri BaseUri, OpenAIOptions Options)
{
    public string Host => BaseUri.Authority;
}

/// <summary>
/// Turns what the SDK and HttpClient throw into messages a user can act on: which setting to check, which host,
/// which model. Problems of configuration (key, host, model) stop a stage at once; the rest fail one item.
/// </summary>
public static partial class OpenAIErrors
{
    public static Exception Translate(Exception error, ErrorContext context, CancellationToken cancellationToken)
    {
        if (error is ProviderException or MissingDependencyException)
        {
            return error;
        }
        if (error is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return error;
        }
        if (Find<ClientResultException>(error) is { Status: > 0 } result)
        {
            return FromStatus(result.Status, result.GetRawResponse()?.Content?.ToString(), context);
        }
        if (Find<HttpRequestException>(error) is { } request)
        {
            if (request.StatusCode is { } status)
            {
                return FromStatus((int)status, null, context);
            }
            var reason = Find<SocketException>(error)?.Message ?? request.Message;
            return new MissingDependencyException(
                $"Could not reach {context.Host} ({Scrub(reason, context.Options)}) after {context.Options.MaxRetries} retries. " +
                $"Check Providers:OpenAI:BaseUrl ({context.BaseUri}) and that the service is running.") { Code = "provider_unreachable", Args = [context.Host] };
        }
        if (Find<TimeoutRejectedException>(error) is not null || error is OperationCanceledException)
        {
            return new ProviderException(
                $"{context.Host} did not answer within {context.Options.RequestTimeout.TotalSeconds:0.#} s (tried {context.Options.MaxRetries + 1} times). " +
                "Raise Providers:OpenAI:RequestTimeout if the model is slow.", error)
            { Code = "provider_timeout", Args = [context.Host, context.Options.RequestTimeout.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)] };
        }
        return new ProviderException($"The openai provider failed: {Scrub(error.Message, context.Options)}", error) { Code = "provider_failed", Args = [context.Host] };
    }

    /// <summary>An HTTP status the endpoint answered with, after the transient ones were retried.</summary>
    public static Exception FromStatus(int status, string? body, ErrorContext context)
    {
        var said = VendorMessage(body, context.Options);
        var quote = said is null ? "" : $" The service said: \"{said}\"";
        var host = context.Host;
        return status switch
        {
            401 or 403 => new MissingDependencyException(
                $"The API key for Providers:OpenAI was rejected ({status}) by {host}. Check Providers:OpenAI:ApiKey.{quote}")
            { Code = "provider_key_rejected", Args = [host, status] },
            404 => new MissingDependencyException(
                $"{host} answered 404 for model '{context.Model}': the model does not exist there, or the base URL is wrong. " +
                $"Check Stages:{context.Stage}:Model (or the provider's default model) and Providers:OpenAI:BaseUrl ({context.BaseUri}).{quote}")
            { Code = "provider_model_not_found", Args = [host, context.Model, context.Stage] },
            400 or 422 when said is not null && MentionsUnknownModel(said) => new MissingDependencyException(
                $"{host} does not know model '{context.Model}'. Check Stages:{context.Stage}:Model (or the provider's default model).{quote}")
            { Code = "provider_model_unknown", Args = [host, context.Model, context.Stage] },
            429 => new ProviderException(
                $"{host} kept refusing with 429 (rate limit or quota) after {context.Options.MaxRetries} retries.{quote}")
            { Code = "provider_rate_limited", Args = [host, context.Options.MaxRetries] },
            >= 500 => new ProviderException($"{host} failed with {status} after {context.Options.MaxRetries} retries.{quote}")
            { Code = "provider_server_error", Args = [host, status, context.Options.MaxRetries] },
            _ => new ProviderException($"{host} refused the request for model '{context.Model}' ({status}).{quote}")
            { Code = "provider_refused", Args = [host, context.Model, status] },
        };
    }

    private static bool MentionsUnknownModel(string message) =>
        message.Contains("model", StringComparison.OrdinalIgnoreCase) &&
        (message.Contains("not found", StringComparison.OrdinalIgnoreCase) ||
         message.Contains("does not exist", StringComparison.OrdinalIgnoreCase) ||
         message.Contains("not exist", StringComparison.OrdinalIgnoreCase) ||
         message.Contains("unknown", StringComparison.OrdinalIgnoreCase));

    /// <summary><c>error.message</c> of an OpenAI-style error body, or the start of the body; never the key.</summary>
    public static string? VendorMessage(string? body, OpenAIOptions options)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }
        var message = body.Trim();
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
            {
                message = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var text) && text.ValueKind == JsonValueKind.String
                    ? text.GetString()!
                    : error.ToString();
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var text) && text.ValueKind == JsonValueKind.String)
            {
                message = text.GetString()!;
            }
        }
        catch (JsonException)
        {
        }
        message = Scrub(message, options).ReplaceLineEndings(" ");
        return message.Length > 300 ? message[..300] + "..." : message;
    }

    /// <summary>Vendors echo parts of a rejected key ("Incorrect API key provided: sk-ab***"); none of it is passed on.</summary>
    public static string Scrub(string text, OpenAIOptions options)
    {
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            text = text.Replace(options.ApiKey, "***", StringComparison.Ordinal);
        }
        return KeyLike().Replace(text, "$1***");
    }

    private static T? Find<T>(Exception? error) where T : Exception
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }
        return null;
    }

    [GeneratedRegex(@"(sk-|Bearer\s+|key[:=]\s*)[A-Za-z0-9._\-*]{3,}", RegexOptions.IgnoreCase)]
    private static partial Regex KeyLike();
}
