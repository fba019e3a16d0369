using System.Globalization;
using Microsoft.Extensions.AI;
using StageStream.Core.Projects;

namespace StageStream.Core.Providers.OpenAI;

public static class OpenAIProvider
{
    /// <summary>The value of <c>Stages:{stage}:Provider</c> that selects these providers.</summary>
    public const string Name = "openai";
}

/// <summary>rewrite: the model's answer, token by token as it streams.</summary>
public sealed class OpenAIRewriteProvider(OpenAIChat chat, OpenAIEndpoint endpoint) : IRewriteProvider
{
    public string Name => OpenAIProvider.Name;

    public IAsyncEnumerable<string> RewriteAsync(string originalText, CancellationToken cancellationToken)
    {
        var prompt = PromptTemplates.RenderFor(StageNames.Rewrite, endpoint.StageSettings(StageNames.Rewrite),
            new Dictionary<string, string> { ["text"] = originalText });
        return chat.StreamAsync(StageNames.Rewrite, OpenAIChat.Messages(prompt), cancellationToken);
    }
}

/// <summary>
/// storyboard: asks for JSON scenes and checks them. An answer that does not hold up gets one repair request that
/// quotes the problem; a second bad answer fails the stage with that problem.
/// </summary>
public sealed class OpenAIStoryboardProvider(OpenAIChat chat, OpenAIEndpoint endpoint) : IStoryboardProvider
{
    public string Name => OpenAIProvider.Name;

    public async Task<IReadOnlyList<ShotDraft>> PlanAsync(string text, StoryboardTarget target, Func<string, ValueTask> onToken, CancellationToken cancellationToken) =>
        StoryboardFit.Fit(await PlanModelAsync(text, target, onToken, cancellationToken), target);

    private async Task<IReadOnlyList<ShotDraft>> PlanModelAsync(string text, StoryboardTarget target, Func<string, ValueTask> onToken, CancellationToken cancellationToken)
    {
        const string stage = StageNames.Storyboard;
        var scenes = StoryboardFit.ShotsFor(target) is { } wanted ? $"exactly {wanted}" : "3 to 12";
        if (target.Seconds is { } seconds)
        {
            scenes += $" (about {seconds} seconds of film in all)";
        }
        var prompt = PromptTemplates.RenderFor(stage, endpoint.StageSettings(stage), new Dictionary<string, string> { ["text"] = text, ["scenes"] = scenes });
        var messages = OpenAIChat.Messages(prompt).ToList();
        var answer = await chat.CompleteAsync(stage, messages, onToken, cancellationToken);
        if (StoryboardJson.TryParse(answer, out var shots, out var problem))
        {
            return shots;
        }

        messages.Add(new ChatMessage(ChatRole.Assistant, answer));
        messages.Add(new ChatMessage(ChatRole.User,
            $"That answer cannot be used: {problem}. Reply again with the corrected storyboard as JSON only, " +
            "{\"scenes\":[{\"narration\":\"...\",\"visual_prompt\":\"...\",\"shot_type\":\"...\",\"duration\":5}]}, with no other text."));
        await onToken("\n\n");
        var repaired = await chat.CompleteAsync(stage, messages, onToken, cancellationToken);
        if (StoryboardJson.TryParse(repaired, out shots, out var secondProblem))
        {
            return shots;
        }
        throw new ProviderException(
            $"The storyboard from model '{endpoint.ChatModelFor(stage)}' is not valid JSON scenes, even after one repair request: {secondProblem}. " +
            $"(First answer: {problem}.)");
    }
}

/// <summary>camera_movement: the model picks a move of the fixed set; its description is kept as it wrote it.</summary>
public sealed class OpenAICameraProvider(OpenAIChat chat, OpenAIEndpoint endpoint) : ICameraProvider
{
    public string Name => OpenAIProvider.Name;

    public async Task<CameraPlan> PlanAsync(CameraRequest request, CancellationToken cancellationToken)
    {
        const string stage = StageNames.CameraMovement;
        var prompt = PromptTemplates.RenderFor(stage, endpoint.StageSettings(stage), new Dictionary<string, string>
        {
            ["sequence"] = request.Sequence.ToString(CultureInfo.InvariantCulture),
            ["count"] = request.ShotCount.ToString(CultureInfo.InvariantCulture),
            ["narration"] = request.Narration,
            ["visual_prompt"] = request.VisualPrompt,
            ["shot_type"] = request.ShotType,
            ["duration"] = request.DurationSeconds.ToString("0.#", CultureInfo.InvariantCulture),
        });
        var answer = await chat.CompleteAsync(stage, OpenAIChat.Messages(prompt), onToken: null, cancellationToken);
        return CameraAnswer.Parse(answer);
    }
}
