using Serilog;
using StageStream.Web.Access;
using StageStream.Web.Api;
using StageStream.Web.Components;
using StageStream.Web.Diagnostics;
using StageStream.Web.Edge;
using StageStream.Web.Health;
using StageStream.Web.Jobs;
using StageStream.Web.Providers;
using StageStream.Web.Streaming;
using StageStream.Web.Streaming.Redis;

namespace StageStream.Web.Hosting;

/// <summary>
/// Builds the whole application. Program.cs and the tests both start it from here, so a test host is
/// the real app on a real port.
/// </summary>
public static class StageStreamApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(StageStreamApp).Assembly.GetName().Name,
        });
        builder.AddLogging();
        builder.AddPersistence();
        builder.AddPipeline();
        builder.AddProviders();
        builder.AddStreaming();
        builder.AddRedisTransport();
        builder.AddHealth();
        builder.AddApi();
        builder.AddUi();
        builder.AddAccess();
        builder.AddEdge();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptForEventStreams(requests => requests.UseSerilogRequestLogging());
        app.UseEdgeHeaders();
        app.UseApi();
        app.UseAccess();
        app.UseRateLimiter();
        app.UseMedia();
        app.MapProjectsApi();
        app.MapAccountApi();
        app.MapStreamsApi();
        app.MapHealth();
        app.MapDiagnostics();
        app.MapUi();
        return app;
    }

    private static void AddLogging(this WebApplicationBuilder builder) =>
        builder.Services.AddSerilog((services, logger) => logger
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext());
}
