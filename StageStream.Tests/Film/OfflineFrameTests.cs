using SkiaSharp;
using StageStream.Core.Providers;
using StageStream.Core.Providers.Offline;
using StageStream.Tests.Providers;

namespace StageStream.Tests.Film;

public sealed class OfflineFrameTests
{
    private static ImageRequest Request(string narration, int width = 320, int height = 180) =>
        new("p1", 3, 12, narration, "Cinematic still, wide shot: a lighthouse", "wide", width, height);

    [Fact]
    public void AChineseStorysFramesAreLabelledInChinese()
    {
        var chinese = OfflineImageProvider.Label(Request("灯塔守夜人提着油灯爬上塔顶。"));
        var english = OfflineImageProvider.Label(Request("The keeper climbed the tower."));

        Assert.Equal("第 3/12 镜 · 远景", chinese);
        Assert.DoesNotContain(chinese, char.IsAsciiLetter);
        Assert.Equal("SHOT 3/12 · WIDE", english);
    }

    [Fact]
    public async Task NoOfflineMarkUnlessConfigured()
    {
        using var plain = OfflineServices.Create();
        using var marked = OfflineServices.Create(new Dictionary<string, string?> { ["Providers:Offline:MarkFrames"] = "true" });
        var request = Request("The keeper climbed the tower.");

        using var a = SKBitmap.Decode(await plain.Get<IImageProvider>().GenerateAsync(request, CancellationToken.None));
        using var b = SKBitmap.Decode(await marked.Get<IImageProvider>().GenerateAsync(request, CancellationToken.None));

        // The mark sits in the bottom right corner; nothing else differs.
        Assert.True(Differs(a, b, 0.6, 1, 0.75, 1), "the mark was not drawn when configured");
        Assert.False(Differs(a, b, 0, 0.6, 0, 1), "frames differ outside the mark's corner");
    }

    [Theory]
    [InlineData(180, 320)]
    [InlineData(180, 180)]
    public async Task PortraitAndSquareFramesKeepTheNarrationInsideTheFrame(int width, int height)
    {
        using var services = OfflineServices.Create();

        var png = await services.Get<IImageProvider>().GenerateAsync(Request("海边的小镇上住着一位老人，他守着那座白色的灯塔已经四十年了。", width, height), CancellationToken.None);

        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        // White ink (the narration) is drawn, and none of it in the outer 8 % a camera move may cut off.
        var (inside, outside) = (0, 0);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var p = bitmap.GetPixel(x, y);
                if (p.Red > 235 && p.Green > 235 && p.Blue > 235)
                {
                    var edge = x < width * 0.08 || x > width * 0.92 || y < height * 0.08 || y > height * 0.92;
                    (inside, outside) = edge ? (inside, outside + 1) : (inside + 1, outside);
                }
            }
        }
        Assert.True(inside > 50, $"{inside} ink pixels");
        Assert.Equal(0, outside);
    }

    private static bool Differs(SKBitmap a, SKBitmap b, double top, double bottom, double left, double right)
    {
        for (var y = (int)(a.Height * top); y < (int)(a.Height * bottom); y++)
        {
            for (var x = (int)(a.Width * left); x < (int)(a.Width * right); x++)
            {
                if (a.GetPixel(x, y) != b.GetPixel(x, y))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
