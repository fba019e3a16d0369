namespace StageStream.Core.Projects;

/// <summary>A camera move from the fixed set the video stage knows how to film.</summary>
public enum CameraMove { Static, PushIn, PullOut, PanLeft, PanRight, TiltUp, TiltDown }

/// <summary>One storyboard row and everything later stages made for it.</summary>
public sealed class Shot
{
    public int Id { get; init; }
    public required string ProjectId { get; init; }
    public int Sequence { get; set; }
    public required string Narration { get; set; }
    public required string VisualPrompt { get; set; }
    public required string ShotType { get; set; }
    public double DurationSeconds { get; set; }

    /// <summary>The user fixed the duration; otherwise the narration's speech (plus a pause) sets it.</summary>
    public bool DurationFixed { get; set; }

    /// <summary>The spoken narration (WAV) and how long the speech lasts.</summary>
    public string? VoicePath { get; set; }
    public string? VoiceProvider { get; set; }
    public double? SpeechSeconds { get; set; }

    /// <summary>Media paths are relative to the data folder.</summary>
    public string? ImagePath { get; set; }
    public string? ImageProvider { get; set; }

    public CameraMove? CameraMove { get; set; }
    public string? CameraDescription { get; set; }
    public string? CameraProvider { get; set; }

    public string? ClipPath { get; set; }
    public string? ClipProvider { get; set; }

    /// <summary>Why the latest attempt at this shot's image, voice or clip failed, if it did.</summary>
    public string? Error { get; set; }

    /// <summary>The <see cref="Error"/>'s code and values (<see cref="CodedError"/> as JSON), for the pages to say in the reader's language.</summary>
    public string? ErrorCode { get; set; }
}

public static class CameraMoves
{
    public static string ToWire(this CameraMove move) => move switch
    {
        CameraMove.Static => "static",
        CameraMove.PushIn => "push_in",
        CameraMove.PullOut => "pull_out",
        CameraMove.PanLeft => "pan_left",
        CameraMove.PanRight => "pan_right",
        CameraMove.TiltUp => "tilt_up",
        CameraMove.TiltDown => "tilt_down",
        _ => throw new ArgumentOutOfRangeException(nameof(move)),
    };

    public static bool TryParse(string? value, out CameraMove move)
    {
        foreach (var candidate in Enum.GetValues<CameraMove>())
        {
            if (string.Equals(candidate.ToWire(), value?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                move = candidate;
                return true;
            }
        }
        move = CameraMove.Static;
        return false;
    }
}
