using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>Streams one chat of a stage: the stage's model and sampling settings, reasoning removed, errors made actionable.</summary>
public sealed class OpenAIChat(OpenAIEndpoint endpoint, ILogger<OpenAIChat> logger)
{
    /// <summary>The answer's text as it arrives, without any <c>&lt;think&gt;</c> block.</summary>
    public async IAsyncEnumerable<string> StreamAsync(
        string stage, IReadOnlyList<ChatMessage> messages, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var settings = endpoint.StageSettings(stage);
        var model = endpoint.ChatModelFor(stage);
        var context = endpoint.ContextFor(stage, model);
        using var client = endpoint.CreateChatClient(model);
        var options = new ChatOptions
        {
            Temperature = settings.Temperature is { } temperature ? (float)temperature : null,
            MaxOutputTokens = settings.MaxTokens,
        };
        logger.LogInformation("Chat for stage {Stage} with model {Model} at {Host}", stage, model, context.Host);
        var watch = Stopwatch.StartNew();
        var filter = new ThinkFilter();
        var chars = 0;
        await using var updates = client.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            ChatResponseUpdate update;
            try
            {
                if (!await updates.MoveNextAsync())
                {
                    break;
                }
                update = updates.Current;
            }
            catch (Exception error)
            {
                var translated = OpenAIErrors.Translate(error, context, cancellationToken);
                if (ReferenceEquals(translated, error))
                {
                    throw;
                }
                logger.LogWarning("Chat for stage {Stage} with model {Model} at {Host} failed: {Reason}", stage, model, context.Host, translated.Message);
                throw translated;
            }
            var text = filter.Push(update.Text);
            if (text.Length > 0)
            {
                chars += text.Length;
                yield return text;
            }
        }
        var rest = filter.Flush();
        if (rest.Length > 0)
        {
            chars += rest.Length;
            yield return rest;
        }
        logger.LogInformation("Chat for stage {Stage} answered {Chars} characters in {Elapsed} ms", stage, chars, watch.ElapsedMilliseconds);
    }

    /// <summary>The whole answer, each piece also passed to <paramref name="onToken"/> as it arrives.</summary>
    public async Task<string> CompleteAsync(
        string stage, IReadOnlyList<ChatMessage> messages, Func<string, ValueTask>? onToken, CancellationToken cancellationToken)
    {
        var answer = new System.Text.StringBuilder();
        await foreach (var token in StreamAsync(stage, messages, cancellationToken))
        {
            answer.Append(token);
            if (onToken is not null)
            {
                await onToken(token);
            }
        }
        return answer.ToString();
    }

    public static IReadOnlyList<ChatMessage> Messages(string prompt) =>
        [new(ChatRole.System, PromptTemplates.System), new(ChatRole.User, prompt)];
}
