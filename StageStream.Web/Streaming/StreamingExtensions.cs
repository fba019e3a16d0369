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
}
