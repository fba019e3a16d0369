using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using StageStream.Core.Persistence;
using StageStream.Web.Streaming;

namespace StageStream.Web.Api;

public static class ApiExtensions
{
    /// <summary>JSON in snake_case like the SSE messages, problem+json for every error, OpenAPI.</summary>
    public static void AddApi(this WebApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            // Chinese stories stay readable; HTML-sensitive characters are still escaped.
            options.SerializerOptions.Encoder = JavaScriptEncoder.Create(UnicodeRanges.All);
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        // Malformed JSON reaches the exception handler as BadHttpRequestException and becomes a 400 problem.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddOpenApi();
    }

    /// <summary>Requests a program makes (the API, media, OpenAPI, health): their errors stay problem+json, never a page.</summary>
    public static bool IsApiRequest(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments(DataFolder.UrlPrefix)
        || context.Request.Path.StartsWithSegments("/openapi") || context.Request.Path.StartsWithSegments("/health")
        || context.Request.Path.StartsWithSegments("/_framework") || context.Request.Path.StartsWithSegments("/_blazor")
        || context.Request.Path.StartsWithSegments("/_content") || !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method);

    public static void UseApi(this WebApplication app)
    {
        // API answers are problem+json (ProblemExceptionHandler); a page's error is a page in the reader's language.
        app.UseWhen(IsApiRequest, api =>
        {
            api.UseExceptionHandler();
            // An event stream always answers with a body, or a problem the exception handler writes.
            api.UseExceptForEventStreams(bodiless => bodiless.UseStatusCodePages());
        });
        app.UseWhen(context => !IsApiRequest(context), pages =>
        {
            pages.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandlingPath = "/error", CreateScopeForErrors = true });
            pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        });
        // After the error pages, so that a request they re-execute (/error, /not-found) is routed afresh; before the
        // access gate, which reads the route's project id.
        app.UseRouting();
        app.MapOpenApi();
    }

    /// <summary>
    /// Images, clips, voices, music and subtitles, after the access gate; only regular files inside the data folder,
    /// never through a symbolic link (<see cref="MediaFiles"/>).
    /// </summary>
    public static void UseMedia(this WebApplication app)
    {
        var data = app.Services.GetRequiredService<DataFolder>();
        // Images, clips, voices, music and subtitles; range requests let browsers seek in the videos.
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".srt"] = "application/x-subrip";
        types.Mappings[".vtt"] = "text/vtt";
        types.Mappings[".wav"] = "audio/wav";
        types.Mappings[".m4a"] = "audio/mp4";
        types.Mappings[".ogg"] = "audio/ogg";
        types.Mappings[".mp3"] = "audio/mpeg";
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new MediaFiles(data.MediaRoot),
            RequestPath = DataFolder.UrlPrefix,
            ContentTypeProvider = types,
            // Subtitles are UTF-8 text; browsers guess otherwise.
            OnPrepareResponse = context =>
            {
                if (context.File.Name.EndsWith(".srt", StringComparison.Ordinal) || context.File.Name.EndsWith(".vtt", StringComparison.Ordinal))
                {
                    context.Context.Response.ContentType += "; charset=utf-8";
                }
            },
        });
    }
}
