using Microsoft.Extensions.Logging;
using SkiaSharp;
using StageStream.Core.Providers;
using StageStream.Core.Providers.Offline;

namespace StageStream.Tests.Providers;

public sealed class OfflineImageProviderTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static ImageRequest Request(string narration, string prompt = "Cinematic still, wide shot: a harbour at dawn", int width = 320, int height = 180) =>
        new("p1", 2, 5, narration, prompt, "wide", width, height);

    /// <summary>Pixels of the narration area that are near white: the text is white, the backgrounds are never that bright.</summary>
    private static int InkPixels(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        var count = 0;
        for (var y = (int)(bitmap.Height * 0.19); y < bitmap.Height * 0.83; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                if (pixel.Red > 200 && pixel.Green > 200 && pixel.Blue > 200)
                {
                    count++;
                }
            }
        }
        return count;
    }

    [Fact]
    public async Task FrameIsAPngOfTheRequestedSize()
    {
        using var services = OfflineServices.Create();
        var provider = services.Get<IImageProvider>();

        var png = await provider.GenerateAsync(Request("The fishing boats come home as the sun rises over the harbour."), CancellationToken.None);

        Assert.Equal(PngSignature, png.Take(8));
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal((320, 180), (bitmap.Width, bitmap.Height));
        Assert.True(InkPixels(png) > 100, "the narration is drawn");

        var wide = await provider.GenerateAsync(Request("A wide frame.", width: 640, height: 360), CancellationToken.None);
        using var wideBitmap = SKBitmap.Decode(wide);
        Assert.Equal((640, 360), (wideBitmap.Width, wideBitmap.Height));
    }

    [Fact]
    public async Task ChineseNarrationIsDrawnWithTheCjkFont()
    {
        using var services = OfflineServices.Create();
        var fonts = services.Get<OfflineFonts>();
        Assert.NotNull(fonts.Cjk); // fonts-noto-cjk is installed on this machine
        Assert.True(fonts.Cjk!.ContainsGlyphs("灯塔"));
        var provider = services.Get<IImageProvider>();

        var png = await provider.GenerateAsync(Request("从前，海边有一座古老的灯塔，每天晚上都会亮起。"), CancellationToken.None);
        var blank = await provider.GenerateAsync(Request(""), CancellationToken.None);

        Assert.True(InkPixels(png) > 100, "Chinese characters put ink on the frame");
        // The same frame without narration has none there: the measure sees glyphs, not the background.
        Assert.Equal(0, InkPixels(blank));
    }

    [Fact]
    public async Task WithoutFontFilesTheFrameIsStillMadeAndAWarningLogged()
    {
        var empty = Directory.CreateTempSubdirectory("stagestream-nofonts-");
        try
        {
            var logs = new ListLoggerProvider();
            using var services = OfflineServices.Create(new Dictionary<string, string?> { ["Providers:Offline:FontDirectories:0"] = empty.FullName }, logs);

            var png = await services.Get<IImageProvider>().GenerateAsync(Request("从前，海边有一座古老的灯塔。"), CancellationToken.None);

            Assert.Null(services.Get<OfflineFonts>().Latin);
            Assert.Null(services.Get<OfflineFonts>().Cjk);
            using var bitmap = SKBitmap.Decode(png);
            Assert.Equal((320, 180), (bitmap.Width, bitmap.Height));
            Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("No font file found", StringComparison.Ordinal));
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task FramesAreDeterministicAndColouredByThePrompt()
    {
        using var services = OfflineServices.Create();
        var provider = services.Get<IImageProvider>();

        var first = await provider.GenerateAsync(Request("Same text.", "Cinematic still, wide shot: a red desert"), CancellationToken.None);
        var again = await provider.GenerateAsync(Request("Same text.", "Cinematic still, wide shot: a red desert"), CancellationToken.None);
        var other = await provider.GenerateAsync(Request("Same text.", "Cinematic still, wide shot: a frozen lake at night"), CancellationToken.None);

        Assert.Equal(first, again);
        using var a = SKBitmap.Decode(first);
        using var b = SKBitmap.Decode(other);
        var differing = Enumerable.Range(0, 20).Count(i => a.GetPixel(i * 15, 20) != b.GetPixel(i * 15, 20));
        Assert.True(differing > 10, "another prompt, other colours");
    }

    [Fact]
    public void ChineseWrapsPerCharacterAndEnglishPerWord()
    {
        // Every character is 10 units wide.
        float Measure(string s) => s.Length * 10;

        var chinese = OfflineImageProvider.Wrap("从前海边有一座古老的灯塔，每天晚上都会亮起。", Measure, 80);
        Assert.All(chinese.SkipLast(1), line => Assert.InRange(line.Length, 7, 9));
        Assert.Equal("从前海边有一座古老的灯塔，每天晚上都会亮起。", string.Concat(chinese));
        Assert.DoesNotContain(chinese, line => line.StartsWith('，') || line.StartsWith('。'));

        const string english = "The fishing boats come home as the sun rises over the harbour";
        var lines = OfflineImageProvider.Wrap(english, Measure, 120);
        Assert.All(lines, line => Assert.True(line.Length <= 12, line));
        Assert.Equal(english, string.Join(" ", lines));
        var words = english.Split(' ').ToHashSet();
        Assert.All(lines.SelectMany(l => l.Split(' ')), word => Assert.Contains(word, words));
    }

    [Fact]
    public async Task OutOfRangeSizeIsRefused()
    {
        using var services = OfflineServices.Create();
        await Assert.ThrowsAsync<ProviderException>(() => services.Get<IImageProvider>().GenerateAsync(Request("x", width: 0), CancellationToken.None));
    }
}
