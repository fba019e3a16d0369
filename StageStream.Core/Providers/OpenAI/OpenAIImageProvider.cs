using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SkiaSharp;
using StageStream.Core.Projects;

namespace StageStream.Core.Providers.OpenAI;

/// <summary>image_generation: <c>POST {base}/images/generations</c>, answered with <c>b64_json</c> or a <c>url</c>.</summary>
public sealed class OpenAIImageProvider(OpenAIEndpoint endpoint, ILogger<OpenAIImageProvider> logger) : IImageProvider
{
    public string Name => OpenAIProvider.Name;

    public async Task<byte[]> GenerateAsync(ImageRequest request, CancellationToken cancellationToken)
    {
        const string stage = StageNames.ImageGeneration;
        var options = endpoint.Options;
        var model = endpoint.ModelFor(stage, options.ImageModel, "Providers:OpenAI:ImageModel");
        var context = endpoint.ContextFor(stage, model);
        var prompt = PromptTemplates.RenderFor(stage, endpoint.StageSettings(stage), new Dictionary<string, string>
        {
            ["visual_prompt"] = request.VisualPrompt,
            ["narration"] = request.Narration,
            ["shot_type"] = request.ShotType,
        });
        var body = new JsonObject { ["model"] = model, ["prompt"] = prompt, ["n"] = 1, ["size"] = SizeFor(options.ImageSize, request.Width, request.Height) };
        if (!string.IsNullOrWhiteSpace(options.ImageResponseFormat))
        {
            body["response_format"] = options.ImageResponseFormat;
        }

        using var http = endpoint.CreateHttpClient();
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(context.BaseUri, "images/generations")) { Content = JsonContent.Create(body) };
        logger.LogInformation("Image of shot {Sequence} with model {Model} at {Host}", request.Sequence, model, context.Host);
        var answer = await OpenAIHttp.SendJsonAsync(http, message, context, cancellationToken);
        var first = (answer["data"] as JsonArray)?.FirstOrDefault() as JsonObject
            ?? throw new ProviderException($"{context.Host} answered images/generations without any image (no data[0]).");

        byte[] bytes;
        if (first["b64_json"]?.GetValue<string>() is { Length: > 0 } base64)
        {
            try
            {
                bytes = Convert.FromBase64String(base64);
            }
            catch (FormatException error)
            {
                throw new ProviderException($"{context.Host} answered with a b64_json image that is not base64.", error);
            }
        }
        else if (first["url"]?.GetValue<string>() is { Length: > 0 } url)
        {
            using var download = endpoint.CreateDownloadClient();
            bytes = await OpenAIHttp.DownloadBytesAsync(download, new Uri(context.BaseUri, url), context, cancellationToken);
        }
        else
        {
            throw new ProviderException($"{context.Host} answered images/generations with neither b64_json nor url.");
        }
        return ImageFrames.ToPng(bytes, request.Width, request.Height);
    }

    /// <summary>
    /// The size asked of the images API in the frame's shape: the configured (landscape) size as it is for a
    /// landscape frame, its sides swapped for a portrait one, its shorter side squared for a square one; unset,
    /// gpt-image's 1536x1024, 1024x1536 or 1024x1024.
    /// </summary>
    public static string SizeFor(string? configured, int width, int height)
    {
        var (a, b) = (1536, 1024);
        var parts = configured?.Split('x', StringSplitOptions.TrimEntries);
        if (parts is [var w, var h] && int.TryParse(w, out var cw) && int.TryParse(h, out var ch))
        {
            if (width >= height && height * 10 < width * 9)
            {
                return configured!.Trim();
            }
            (a, b) = (Math.Max(cw, ch), Math.Min(cw, ch));
        }
        else if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.Trim();
        }
        return height * 10 > width * 11 ? $"{b}x{a}" : width * 10 > height * 11 ? $"{a}x{b}" : $"{b}x{b}";
    }
}

/// <summary>Vendors answer in their own sizes and formats (PNG, JPEG, WebP); every frame of a film is a PNG of the film's size.</summary>
public static class ImageFrames
{
    /// <summary>Scales to cover <paramref name="width"/> x <paramref name="height"/>, crops the middle, encodes PNG.</summary>
    public static byte[] ToPng(byte[] image, int width, int height)
    {
        using var source = SKBitmap.Decode(image)
            ?? throw new ProviderException($"The image the provider returned ({image.Length} bytes) is not a picture SkiaSharp can read.");
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var scale = Math.Max((float)width / source.Width, (float)height / source.Height);
        var drawn = SKRect.Create(source.Width * scale, source.Height * scale);
        drawn.Offset((width - drawn.Width) / 2, (height - drawn.Height) / 2);
        using (var picture = SKImage.FromBitmap(source))
        {
            surface.Canvas.Clear(SKColors.Black);
            surface.Canvas.DrawImage(picture, drawn, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        }
        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
