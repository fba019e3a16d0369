using Microsoft.AspNetCore.ResponseCompression;
using StageStream.Core.Events;

namespace StageStream.Web.Streaming;

public static class StreamingExtensions
{
    /// <summary>The event log, the SSE endpoints' services, their timing options and their CORS policy.</summary>
    public static void AddStreaming(this WebApplicationBuilder builder)
    {
        builder.Services.AddStageEvents();
        builder.Services.AddOptions<StreamingOptions>()
            .BindConfiguration(StreamingOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddCors(options => StreamCors.AddPolicy(options, builder.Configuration));
        builder.Services.AddSingleton<StreamCors>();
        builder.Services.AddSingleton<EventStreamResponder>();
        builder.Services.AddSingleton<StreamTicker>();
        // Should response compression ever be switched on, streams stay uncompressed: a compressor
        // holds messages back until its block fills.
        builder.Services.Configure<ResponseCompressionOptions>(options =>
            options.ExcludedMimeTypes = [.. options.ExcludedMimeTypes ?? [], "text/event-stream"]);
    }

    /// <summary>A request for an event stream (GET on either stream path family), which stays open as long as its client watches.</summary>
    public static bool IsEventStream(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && StageStream.Web.Access.Paths.IsStream(context.Request.Path);

    /// <summary>
    /// Middleware that an open event stream does not need, kept out of its way: each one in the path holds a frame
    /// (120-220 bytes) for the stream's whole life, and at 10,000 watchers those add up (docs/benchmarks.md).
    /// A stream's errors are still problem+json (the exception handler stays in its path); the stream logs its own opening
    /// and end, and its messages are not localized.
    /// </summary>
    public static IApplicationBuilder UseExceptForEventStreams(this IApplicationBuilder app, Action<IApplicationBuilder> configure)
    {
        var branch = app.New();
        configure(branch);
        // A branch's properties are its own. UseAuthorization and UseAntiforgery mark themselves set there
        // ("__AuthorizationMiddlewareSet"); without the marks on the app, WebApplication adds another of each in front of
        // everything, before routing, where they do nothing but hold their frames for every open stream.
        foreach (var (key, value) in branch.Properties)
        {
            if (key.EndsWith("MiddlewareSet", StringComparison.Ordinal))
            {
                app.Properties.TryAdd(key, value);
            }
        }
        return app.Use(next =>
        {
            branch.Run(next);
            var others = branch.Build();
            return context => IsEventStream(context) ? next(context) : others(context);
        });
    }
}
