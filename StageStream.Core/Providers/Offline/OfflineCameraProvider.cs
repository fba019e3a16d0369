using System.Globalization;
using StageStream.Core.Projects;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// camera_movement without a model: the move follows what the shot shows (upward words tilt up, close-ups push in,
/// journeys pan) and where it sits (the first establishes, the last pulls away). Deterministic.
/// </summary>
public sealed class OfflineCameraProvider : ICameraProvider
{
    private static readonly string[] UpTerms =
    [
        "rise", "rises", "rising", "rose", "risen", "look up", "looked up", "looks up", "looking up", "sky", "skies", "climb",
        "climbed", "climbs", "soar", "soared", "soars", "fly", "flew", "flies", "tower", "towers", "towering", "heaven", "heavens",
        "stars", "moon", "upward", "upwards", "lift", "lifted", "above",
        "天空", "抬头", "仰望", "升起", "上升", "飞", "高楼", "山顶", "星空", "月亮", "天上", "攀", "爬上",
    ];

    private static readonly string[] DownTerms =
    [
        "fall", "falls", "fell", "fallen", "drop", "dropped", "drops", "sink", "sank", "sinks", "look down", "looked down",
        "looks down", "kneel", "knelt", "ground", "floor", "below", "beneath", "descend", "descended", "bow", "bowed", "bury", "buried",
        "低头", "落下", "坠", "跪", "地上", "地面", "沉", "埋", "俯视", "跌",
    ];

    private static readonly string[] CloseTerms =
    [
        "face", "eyes", "eye", "tear", "tears", "smile", "smiled", "lips", "whisper", "whispered", "heart", "breath", "hand", "hands",
        "脸", "眼", "泪", "笑", "唇", "低语", "耳语", "心", "手",
    ];

    private static readonly string[] LeftTerms = ["back", "return", "returned", "returns", "home", "west", "回", "返回", "归来", "向西", "往回"];

    private static readonly string[] AcrossTerms =
    [
        "walk", "walked", "walks", "walking", "run", "ran", "runs", "running", "drive", "drove", "ride", "rode", "road", "street",
        "river", "across", "journey", "travel", "traveled", "travelled", "sail", "sailed", "path", "crowd", "train", "horizon",
        "走", "跑", "路", "河", "穿过", "旅", "行驶", "街", "航行", "人群", "火车", "地平线",
    ];

    public string Name => OfflineProvider.Name;

    public Task<CameraPlan> PlanAsync(CameraRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Plan(request));
    }

    internal static CameraPlan Plan(CameraRequest request)
    {
        var text = request.Narration;
        var type = request.ShotType.Trim().ToLowerInvariant();
        var seconds = request.DurationSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        var first = request.Sequence <= 1;
        var last = request.ShotCount > 1 && request.Sequence >= request.ShotCount;

        if (OfflineText.FindTerm(text, UpTerms) is { } up)
        {
            return new(CameraMove.TiltUp, $"Tilt up over {seconds} s, following \"{up}\" from the ground to what lies above.");
        }
        if (OfflineText.FindTerm(text, DownTerms) is { } down)
        {
            return new(CameraMove.TiltDown, $"Tilt down over {seconds} s, following \"{down}\" towards the ground.");
        }
        if (first)
        {
            return type.Contains("close", StringComparison.Ordinal)
                ? new(CameraMove.PanRight, $"Opening pan left to right over {seconds} s, discovering the scene detail by detail.")
                : new(CameraMove.PullOut, $"Establishing pull-out over {seconds} s, from a detail to the whole {type} scene.");
        }
        if (type.Contains("close", StringComparison.Ordinal) || OfflineText.FindTerm(text, CloseTerms) is not null)
        {
            return new(CameraMove.PushIn, $"Slow push-in over {seconds} s towards the subject, for an intimate {type}.");
        }
        if (OfflineText.FindTerm(text, AcrossTerms) is { } across)
        {
            return OfflineText.FindTerm(text, LeftTerms) is not null
                ? new(CameraMove.PanLeft, $"Pan right to left over {seconds} s, tracking the way back (\"{across}\").")
                : new(CameraMove.PanRight, $"Pan left to right over {seconds} s, travelling with the movement (\"{across}\").");
        }
        if (last)
        {
            return new(CameraMove.PullOut, $"Closing pull-out over {seconds} s, leaving the scene as the story ends.");
        }
        // Nothing in the words asks for a move: vary by position so consecutive shots do not all look alike.
        return (request.Sequence % 4) switch
        {
            0 => new(CameraMove.Static, $"Locked-off {type} shot for {seconds} s, letting the moment play."),
            1 => new(CameraMove.PanLeft, $"Gentle pan right to left over {seconds} s across the {type} frame."),
            2 => new(CameraMove.PushIn, $"Gentle push-in over {seconds} s on the {type} frame."),
            _ => new(CameraMove.PanRight, $"Gentle pan left to right over {seconds} s across the {type} frame."),
        };
    }
}
