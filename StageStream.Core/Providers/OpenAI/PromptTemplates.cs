using System.Text.RegularExpressions;
using StageStream.Core.Projects;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>
/// The prompt of each stage: a template with <c>{placeholders}</c>, replaced by <c>Stages:{stage}:Prompt</c> when set.
/// Unknown placeholders and literal braces (the JSON examples) are left as they are.
/// </summary>
public static partial class PromptTemplates
{
    public const string System =
        "You are the writer and director of short narrated films made of still images with camera moves. " +
        "Follow the requested output format exactly.";

    public static IReadOnlyDictionary<string, string> Defaults { get; } = new Dictionary<string, string>
    {
        [StageNames.Rewrite] =
            "Rewrite the story below as vivid narration for a short film. Keep its language, plot and names, and about its length. " +
            "Answer with the rewritten text only.\n\n{text}",
        [StageNames.Storyboard] =
            "Split the story below into {scenes} scenes of a short film. Answer with JSON only, no prose and no code fence, in exactly this form:\n" +
            "{\"scenes\":[{\"narration\":\"...\",\"visual_prompt\":\"...\",\"shot_type\":\"wide\",\"duration\":5}]}\n" +
            "narration: the words spoken over the scene, in the story's language. " +
            "visual_prompt: an English description of one still picture for an image model (subject, setting, light, style). " +
            "shot_type: wide, medium or close-up. duration: seconds, 2 to 15.\n\nStory:\n{text}",
        [StageNames.CameraMovement] =
            "Choose the camera movement for shot {sequence} of {count} of a short film.\n" +
            "Narration: {narration}\nPicture: {visual_prompt}\nShot type: {shot_type}\nDuration: {duration} s\n" +
            "Answer with JSON only: {\"move\":\"static|push_in|pull_out|pan_left|pan_right|tilt_up|tilt_down\",\"description\":\"one sentence: what the camera does and why\"}",
        [StageNames.ImageGeneration] = "{visual_prompt}. {shot_type} shot, cinematic film still, no text or captions.",
        [StageNames.VideoGeneration] = "{visual_prompt}. Camera: {camera_description} ({camera_move}). Keep the picture of the first frame.",
    };

    /// <summary>The configured template of a stage, or its default.</summary>
    public static string TemplateFor(string stage, StageSettings settings) =>
        string.IsNullOrWhiteSpace(settings.Prompt) ? Defaults[stage] : settings.Prompt;

    public static string Render(string template, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(template, match => values.TryGetValue(match.Groups[1].Value, out var value) ? value : match.Value);

    public static string RenderFor(string stage, StageSettings settings, IReadOnlyDictionary<string, string> values) =>
        Render(TemplateFor(stage, settings), values);

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Placeholder();
}
