using System.Text;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace StageStream.Core.Providers.Offline;

/// <summary>
/// image_generation without a model: a real PNG frame with a gradient whose colours come from the visual prompt,
/// the shot number in the story's language, and the narration legibly wrapped (Chinese per character, English per
/// word), laid out for the frame's shape (landscape, portrait or square).
/// </summary>
public sealed class OfflineImageProvider(OfflineFonts fonts, IOptionsMonitor<OfflineOptions> options) : IImageProvider
{
    public const int MinSize = 16;
    public const int MaxSize = 8192;

    /// <summary>What a pan or tilt of the video stage may cut from each side (it zooms to 1.15 and travels the margin).</summary>
    private const float SafeMargin = (float)(1 - 1 / FfmpegVideoProvider.Zoom);

    /// <summary>Closing marks that must not begin a line; they stay at the end of the line before.</summary>
    private const string NoLineStart = "，。！？；：、）》」』”’…,.!?;:)]";

    public string Name => OfflineProvider.Name;

    public Task<byte[]> GenerateAsync(ImageRequest request, CancellationToken cancellationToken)
    {
        if (request.Width is < MinSize or > MaxSize || request.Height is < MinSize or > MaxSize)
        {
            throw new ProviderException($"Frame size {request.Width}x{request.Height} is out of range ({MinSize}-{MaxSize} pixels per side).");
        }
        // Drawing is CPU work; keep it off the caller's thread.
        return Task.Run(() => Render(request), cancellationToken);
    }

    internal byte[] Render(ImageRequest request)
    {
        var (width, height) = (request.Width, request.Height);
        var seed = OfflineText.StableHash(request.VisualPrompt + "\n" + request.ShotType);
        var random = new Random((int)seed);
        var hue = seed % 360;
        var light = SKColor.FromHsv(hue, 55, 48);
        var dark = SKColor.FromHsv((hue + 30 + random.Next(60)) % 360, 70, 16);

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new ProviderException($"Could not create a {width}x{height} drawing surface.");
        var canvas = surface.Canvas;
        canvas.Clear(dark);

        var angle = random.NextDouble() * Math.PI;
        var (dx, dy) = ((float)Math.Cos(angle) * width / 2, (float)Math.Sin(angle) * height / 2);
        var centre = new SKPoint(width / 2f, height / 2f);
        using (var gradient = new SKPaint { IsAntialias = true })
        {
            gradient.Shader = SKShader.CreateLinearGradient(
                new SKPoint(centre.X - dx, centre.Y - dy), new SKPoint(centre.X + dx, centre.Y + dy), [light, dark], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, width, height, gradient);
        }

        // Soft out-of-focus lights, placed by the prompt's hash so each shot has its own.
        using (var bokeh = new SKPaint { IsAntialias = true })
        {
            for (var i = 0; i < 7; i++)
            {
                var radius = height * (0.05f + (float)random.NextDouble() * 0.2f);
                bokeh.Color = SKColor.FromHsv((hue + random.Next(90)) % 360, 30, 100).WithAlpha((byte)(12 + random.Next(28)));
                bokeh.MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, radius * 0.35f);
                canvas.DrawCircle((float)random.NextDouble() * width, (float)random.NextDouble() * height, radius, bokeh);
            }
        }

        using (var vignette = new SKPaint { IsAntialias = true })
        {
            vignette.Shader = SKShader.CreateRadialGradient(
                centre, Math.Max(width, height) * 0.75f, [SKColors.Transparent, SKColors.Black.WithAlpha(150)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, width, height, vignette);
        }

        // Everything written stays inside the part of the frame every camera move keeps in view.
        var label = Label(request);
        var labelSize = Math.Min(width, height) / 22f;
        DrawLabel(canvas, label, fonts.For(label), labelSize, width * SafeMargin, height * SafeMargin, SKTextAlign.Left, 200);
        if (options.CurrentValue.MarkFrames)
        {
            DrawLabel(canvas, "offline", fonts.Latin ?? fonts.Cjk, Math.Min(width, height) / 30f, width * (1 - SafeMargin), height * (1 - SafeMargin),
                SKTextAlign.Right, 150, bottom: true);
        }
        DrawNarration(canvas, request.Narration.Trim(), width, height);

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>The shot's number and type in the narration's language: "SHOT 3/12 · WIDE" or "第 3/12 镜 · 远景".</summary>
    internal static string Label(ImageRequest request)
    {
        var count = Math.Max(request.Sequence, request.ShotCount);
        if (!OfflineText.IsChinese(request.Narration))
        {
            return $"SHOT {request.Sequence}/{count} · {request.ShotType.ToUpperInvariant()}";
        }
        var type = request.ShotType.Trim().ToLowerInvariant() switch
        {
            "wide" or "extreme wide" or "establishing" => "远景",
            "medium" => "中景",
            "medium close-up" => "近景",
            "close-up" or "extreme close-up" => "特写",
            _ => "",
        };
        return type.Length > 0 ? $"第 {request.Sequence}/{count} 镜 · {type}" : $"第 {request.Sequence}/{count} 镜";
    }

    private static void DrawLabel(SKCanvas canvas, string text, SKTypeface? face, float size, float x, float y, SKTextAlign align, byte alpha, bool bottom = false)
    {
        using var font = new SKFont(face, Math.Max(size, 7)) { Subpixel = true };
        using var paint = new SKPaint { IsAntialias = true, Color = SKColors.White.WithAlpha(alpha) };
        var baseline = bottom ? y - font.Metrics.Descent : y - font.Metrics.Ascent;
        canvas.DrawText(text, x, baseline, align, font, paint);
    }

    private void DrawNarration(SKCanvas canvas, string text, int width, int height)
    {
        if (text.Length == 0)
        {
            return;
        }
        var face = fonts.For(text);
        var shortSide = Math.Min(width, height);
        var boxWidth = width * (1 - 2 * SafeMargin) * 0.94f;
        // A portrait frame keeps the text to its middle band; landscape and square frames give it most of the height.
        var portrait = height > width * 1.2f;
        var boxHeight = portrait ? height * 0.45f : height * (1 - 2 * SafeMargin - 0.12f);
        var boxTop = portrait ? (height - boxHeight) / 2 : height * (SafeMargin + 0.07f);
        var minSize = Math.Max(8f, shortSide / 40f);

        // The largest size at which the whole narration fits; below the minimum it is cut with an ellipsis.
        using var font = new SKFont(face, portrait ? width / 12f : Math.Min(height / 11f, width / 16f)) { Subpixel = true };
        List<string> lines;
        float lineHeight;
        while (true)
        {
            lines = Wrap(text, s => font.MeasureText(s), boxWidth);
            lineHeight = font.Size * 1.35f;
            if (lines.Count * lineHeight <= boxHeight || font.Size * 0.9f < minSize)
            {
                break;
            }
            font.Size *= 0.9f;
        }
        var maxLines = Math.Max(1, (int)(boxHeight / lineHeight));
        if (lines.Count > maxLines)
        {
            lines = lines.Take(maxLines).ToList();
            lines[^1] = lines[^1].TrimEnd() + "…";
        }

        var blockHeight = lines.Count * lineHeight;
        var top = boxTop + (boxHeight - blockHeight) / 2;
        var widest = lines.Max(l => font.MeasureText(l));
        using (var band = new SKPaint { IsAntialias = true, Color = SKColors.Black.WithAlpha(90) })
        {
            var padding = font.Size * 0.6f;
            canvas.DrawRoundRect(new SKRect(width / 2f - widest / 2 - padding, top - padding / 2, width / 2f + widest / 2 + padding, top + blockHeight + padding / 2),
                padding, padding, band);
        }
        using var shadow = new SKPaint { IsAntialias = true, Color = SKColors.Black.WithAlpha(140) };
        using var ink = new SKPaint { IsAntialias = true, Color = SKColors.White };
        var offset = Math.Max(1, font.Size / 18);
        for (var i = 0; i < lines.Count; i++)
        {
            var baseline = top + i * lineHeight + (lineHeight - font.Size) / 2 - font.Metrics.Ascent * 0.95f;
            canvas.DrawText(lines[i], width / 2f + offset, baseline + offset, SKTextAlign.Center, font, shadow);
            canvas.DrawText(lines[i], width / 2f, baseline, SKTextAlign.Center, font, ink);
        }
    }

    /// <summary>Greedy line filling: English breaks between words, CJK between any two characters.</summary>
    internal static List<string> Wrap(string text, Func<string, float> measure, float maxWidth)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var unit in OfflineText.BreakUnits(text))
        {
            if (line.Length > 0 && measure((line + unit).TrimEnd()) > maxWidth && !NoLineStart.Contains(unit[0]))
            {
                lines.Add(line.ToString().TrimEnd());
                line.Clear();
            }
            var piece = line.Length == 0 ? unit.TrimStart() : unit;
            if (line.Length == 0 && piece.Length > 0 && measure(piece.TrimEnd()) > maxWidth)
            {
                // A word longer than the line is broken where it must be.
                foreach (var element in OfflineText.Elements(piece))
                {
                    if (line.Length > 0 && measure(line + element) > maxWidth)
                    {
                        lines.Add(line.ToString());
                        line.Clear();
                    }
                    line.Append(element);
                }
                continue;
            }
            line.Append(piece);
        }
        if (line.ToString().Trim().Length > 0)
        {
            lines.Add(line.ToString().TrimEnd());
        }
        return lines;
    }
}
