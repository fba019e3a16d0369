namespace StageStream.Core.Projects;

/// <summary>The film shapes a project may have, by their wire names, and the frame size of each.</summary>
public static class AspectRatios
{
    public const string Landscape = "16:9";
    public const string Portrait = "9:16";
    public const string Square = "1:1";

    public static IReadOnlyList<string> All { get; } = [Landscape, Portrait, Square];

    public static bool IsValid(string? value) => value is not null && All.Contains(value);

    /// <summary>
    /// The frame size of <paramref name="aspect"/> from the configured 16:9 size: the long side and the short
    /// side swap for 9:16, and 1:1 is the short side squared (even numbers, as H.264 wants).
    /// </summary>
    public static (int Width, int Height) Size(string? aspect, int width, int height)
    {
        var (longSide, shortSide) = (Math.Max(width, height) / 2 * 2, Math.Min(width, height) / 2 * 2);
        return aspect switch
        {
            Portrait => (shortSide, longSide),
            Square => (shortSide, shortSide),
            _ => (longSide, shortSide),
        };
    }
}
