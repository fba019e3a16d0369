using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// The font files the offline frames draw with. SkiaSharp's NoDependencies build has no fontconfig, so fonts are
/// found by walking the usual font folders and loaded from their files: a Latin face and a CJK face.
/// </summary>
public sealed class OfflineFonts(IOptions<OfflineOptions> options, ILogger<OfflineFonts> logger) : IDisposable
{
    private static readonly string[] CjkFiles =
    [
        "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf", "NotoSansSC-Regular.ttf",
        "SourceHanSansSC-Regular.otf", "SourceHanSans-Regular.ttc", "wqy-microhei.ttc", "wqy-zenhei.ttc", "DroidSansFallbackFull.ttf",
        "PingFang.ttc", "Hiragino Sans GB.ttc", "STHeiti Medium.ttc", "msyh.ttc", "simhei.ttf", "NotoSerifCJK-Regular.ttc",
    ];

    private static readonly string[] LatinFiles =
    [
        "DejaVuSans.ttf", "NotoSans-Regular.ttf", "LiberationSans-Regular.ttf", "Roboto-Regular.ttf", "Arial.ttf", "arial.ttf",
        "Helvetica.ttc", "SFNS.ttf", "segoeui.ttf",
    ];

    private readonly Lazy<(SKTypeface? Latin, SKTypeface? Cjk)> _faces = new(() => Load(options.Value, logger));

    public SKTypeface? Latin => _faces.Value.Latin;
    public SKTypeface? Cjk => _faces.Value.Cjk;

    /// <summary>The face to draw <paramref name="text"/> with: the CJK face for Chinese (it has Latin too), else the Latin one.</summary>
    public SKTypeface? For(string text) =>
        OfflineText.ContainsCjk(text) ? Cjk ?? Latin : Latin ?? Cjk;

    public static IEnumerable<string> DefaultDirectories()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string[] candidates =
        [
            "/usr/share/fonts", "/usr/local/share/fonts", Path.Combine(home, ".local/share/fonts"), Path.Combine(home, ".fonts"),
            "/System/Library/Fonts", "/Library/Fonts", Path.Combine(home, "Library/Fonts"),
            Environment.GetFolderPath(Environment.SpecialFolder.Fonts),
        ];
        return candidates.Where(d => !string.IsNullOrEmpty(d)).Distinct();
    }

    private static (SKTypeface? Latin, SKTypeface? Cjk) Load(OfflineOptions options, ILogger logger)
    {
        var directories = options.FontDirectories.Length > 0 ? options.FontDirectories : DefaultDirectories().ToArray();
        var files = directories.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
            .Where(f => f.EndsWith(".ttf", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".ttc", StringComparison.OrdinalIgnoreCase)
                || f.EndsWith(".otf", StringComparison.OrdinalIgnoreCase))
            .ToList();

        var cjk = Pick(files, CjkFiles, f => f.Contains("CJK", StringComparison.OrdinalIgnoreCase), "中文", logger);
        var latin = Pick(files, LatinFiles, f => f.Contains("Sans", StringComparison.OrdinalIgnoreCase)
            && !f.Contains("Bold", StringComparison.OrdinalIgnoreCase) && !f.Contains("Italic", StringComparison.OrdinalIgnoreCase)
            && !f.Contains("Mono", StringComparison.OrdinalIgnoreCase), "Aa", logger);
        if (latin is null && cjk is null)
        {
            logger.LogWarning(
                "No font file found under {Directories}; offline frames fall back to the default typeface and may show no text. Install fonts, e.g. `sudo apt-get install fonts-dejavu-core fonts-noto-cjk`.",
                string.Join(", ", directories));
        }
        else if (cjk is null)
        {
            logger.LogWarning(
                "No CJK font found under {Directories}; Chinese text in offline frames will not render. Install one, e.g. `sudo apt-get install fonts-noto-cjk`.",
                string.Join(", ", directories));
        }
        return (latin, cjk);
    }

    private static SKTypeface? Pick(List<string> files, string[] preferred, Func<string, bool> fallback, string sample, ILogger logger)
    {
        var ordered = preferred
            .SelectMany(name => files.Where(f => string.Equals(Path.GetFileName(f), name, StringComparison.OrdinalIgnoreCase)))
            .Concat(files.Where(f => fallback(Path.GetFileName(f))).Order(StringComparer.Ordinal));
        foreach (var file in ordered)
        {
            if (Open(file, sample) is { } face)
            {
                logger.LogDebug("Offline frames use font {Family} from {File}", face.FamilyName, file);
                return face;
            }
        }
        return null;
    }

    /// <summary>Opens a font file; of a collection (.ttc) the Simplified Chinese face if it has one.</summary>
    private static SKTypeface? Open(string file, string sample)
    {
        SKTypeface? chosen = null;
        for (var index = 0; index < 16; index++)
        {
            SKTypeface? face;
            try
            {
                face = SKTypeface.FromFile(file, index);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                break;
            }
            if (face is null)
            {
                break;
            }
            if (!face.ContainsGlyphs(sample))
            {
                face.Dispose();
                continue;
            }
            if (face.FamilyName.EndsWith(" SC", StringComparison.Ordinal) || !file.EndsWith(".ttc", StringComparison.OrdinalIgnoreCase))
            {
                chosen?.Dispose();
                return face;
            }
            if (chosen is null)
            {
                chosen = face;
            }
            else
            {
                face.Dispose();
            }
        }
        return chosen;
    }

    public void Dispose()
    {
        if (_faces.IsValueCreated)
        {
            _faces.Value.Latin?.Dispose();
            _faces.Value.Cjk?.Dispose();
        }
    }
}
