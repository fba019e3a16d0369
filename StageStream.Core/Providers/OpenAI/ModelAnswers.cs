using System.Globalization;
using System.Text.Json;
using StageStream.Core.Projects;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>Reads the storyboard JSON a model wrote: <c>{"scenes":[{narration, visual_prompt, shot_type, duration}]}</c>.</summary>
public static class StoryboardJson
{
    public const double DefaultDuration = 5;

    /// <param name="problem">When it fails: what was wrong, in words the model (and a user) can act on.</param>
    public static bool TryParse(string answer, out IReadOnlyList<ShotDraft> shots, out string problem)
    {
        shots = [];
        var json = JsonPart(answer, '{', '}') ?? JsonPart(answer, '[', ']');
        if (json is null)
        {
            problem = "it contains no JSON object";
            return false;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException error)
        {
            problem = $"it is not valid JSON ({error.Message})";
            return false;
        }
        using (document)
        {
            var root = document.RootElement;
            JsonElement scenes;
            if (root.ValueKind == JsonValueKind.Array)
            {
                scenes = root;
            }
            else if (!TryGetAny(root, out scenes, "scenes", "shots") || scenes.ValueKind != JsonValueKind.Array)
            {
                problem = "it has no \"scenes\" array";
                return false;
            }
            if (scenes.GetArrayLength() == 0)
            {
                problem = "its \"scenes\" array is empty";
                return false;
            }
            var drafts = new List<ShotDraft>();
            var number = 0;
            foreach (var scene in scenes.EnumerateArray())
            {
                number++;
                if (scene.ValueKind != JsonValueKind.Object)
                {
                    problem = $"scene {number} is not an object";
                    return false;
                }
                var narration = Text(scene, "narration");
                if (string.IsNullOrWhiteSpace(narration))
                {
                    problem = $"scene {number} has no \"narration\" text";
                    return false;
                }
                var visual = Text(scene, "visual_prompt", "visualPrompt", "visual");
                if (string.IsNullOrWhiteSpace(visual))
                {
                    problem = $"scene {number} has no \"visual_prompt\" text";
                    return false;
                }
                var shotType = Text(scene, "shot_type", "shotType");
                var duration = DefaultDuration;
                if (TryGetAny(scene, out var value, "duration", "duration_seconds") && value.ValueKind != JsonValueKind.Null)
                {
                    if (!TryNumber(value, out duration) || duration <= 0 || duration > 60)
                    {
                        problem = $"scene {number} has \"duration\" {value.GetRawText()}, not a number of seconds between 0 and 60";
                        return false;
                    }
                }
                drafts.Add(new ShotDraft(narration.Trim(), visual.Trim(), string.IsNullOrWhiteSpace(shotType) ? "medium" : shotType.Trim(), duration));
            }
            shots = drafts;
            problem = "";
            return true;
        }
    }

    /// <summary>The outermost JSON value in an answer that may wrap it in prose or a code fence.</summary>
    internal static string? JsonPart(string answer, char open, char close)
    {
        var start = answer.IndexOf(open);
        var end = answer.LastIndexOf(close);
        return start >= 0 && end > start ? answer[start..(end + 1)] : null;
    }

    internal static bool TryGetAny(JsonElement element, out JsonElement value, params string[] names)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (names.Any(n => string.Equals(n, property.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    value = property.Value;
                    return true;
                }
            }
        }
        value = default;
        return false;
    }

    internal static string? Text(JsonElement element, params string[] names) =>
        TryGetAny(element, out var value, names) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool TryNumber(JsonElement value, out double number)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.TryGetDouble(out number);
        }
        number = 0;
        return value.ValueKind == JsonValueKind.String &&
               double.TryParse(value.GetString()?.Trim().TrimEnd('s', 'S').Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }
}

/// <summary>Maps a model's camera answer onto the fixed moves: its JSON <c>move</c> if it names one, else the words it used.</summary>
public static class CameraAnswer
{
    private static readonly (CameraMove Move, string[] Words)[] Keywords =
    [
        (CameraMove.PushIn, ["push in", "push-in", "push_in", "pushes in", "zoom in", "zooms in", "zoom-in", "dolly in", "dolly forward", "move in", "moves in", "推近", "推镜", "推进"]),
        (CameraMove.PullOut, ["pull out", "pull-out", "pull_out", "pulls out", "pull back", "pulls back", "zoom out", "zooms out", "zoom-out", "dolly out", "dolly back", "拉远", "拉镜"]),
        (CameraMove.PanLeft, ["pan left", "pan_left", "pans left", "pan-left", "pan to the left", "pans to the left", "左摇", "向左"]),
        (CameraMove.PanRight, ["pan right", "pan_right", "pans right", "pan-right", "pan to the right", "pans to the right", "右摇", "向右"]),
        (CameraMove.TiltUp, ["tilt up", "tilt_up", "tilts up", "tilt-up", "上摇", "向上"]),
        (CameraMove.TiltDown, ["tilt down", "tilt_down", "tilts down", "tilt-down", "下摇", "向下"]),
        (CameraMove.Static, ["static", "still", "locked", "fixed", "固定"]),
    ];

    public static CameraPlan Parse(string answer)
    {
        answer = answer.Trim();
        string? moveText = null;
        string? description = null;
        if (StoryboardJson.JsonPart(answer, '{', '}') is { } json)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                moveText = StoryboardJson.Text(document.RootElement, "move", "camera_move", "movement", "camera");
                description = StoryboardJson.Text(document.RootElement, "description", "reason", "camera_description");
            }
            catch (JsonException)
            {
                // Not JSON after all: the words of the answer decide.
            }
        }
        description = string.IsNullOrWhiteSpace(description) ? answer : description.Trim();
        if (description.Length > 500)
        {
            description = description[..500];
        }
        if (CameraMoves.TryParse(moveText?.Trim().Replace('-', '_').Replace(' ', '_'), out var move) ||
            TryKeyword(moveText, out move) || TryKeyword(answer, out move))
        {
            return new CameraPlan(move, description);
        }
        return new CameraPlan(CameraMove.Static, description);
    }

    /// <summary>The move whose words come first in the text.</summary>
    private static bool TryKeyword(string? text, out CameraMove move)
    {
        move = CameraMove.Static;
        var first = int.MaxValue;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        foreach (var (candidate, words) in Keywords)
        {
            foreach (var word in words)
            {
                var at = text.IndexOf(word, StringComparison.OrdinalIgnoreCase);
                if (at >= 0 && at < first)
                {
                    first = at;
                    move = candidate;
                }
            }
        }
        return first != int.MaxValue;
    }
}
