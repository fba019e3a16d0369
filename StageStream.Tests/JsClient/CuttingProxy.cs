using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StageStream.Tests.JsClient;

/// <summary>
/// A real HTTP reverse proxy on loopback in front of the application that cuts its first streamed
/// response after a number of SSE frames, the way a proxy or load balancer with a timeout does.
/// The cut may fall in the middle of a frame; the browser then drops the incomplete frame.
/// </summary>
public sealed class CuttingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http;
    private readonly List<ProxiedRequest> _requests = [];

    private CuttingProxy(WebApplication app, HttpClient http)
    {
        _app = app;
        _http = http;
    }

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<ProxiedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<CuttingProxy> StartAsync(Uri target, int cutFirstResponseAfterFrames)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var proxy = new CuttingProxy(app, new HttpClient { BaseAddress = target, Timeout = Timeout.InfiniteTimeSpan });
        app.Run(context => proxy.ForwardAsync(context, cutFirstResponseAfterFrames));
        await app.StartAsync();
        proxy.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context, int cutAfterFrames)
    {
        ProxiedRequest request;
        lock (_requests)
        {
            request = new ProxiedRequest(_requests.Count, context.Request.Path + context.Request.QueryString,
                context.Request.Headers["Last-Event-ID"].FirstOrDefault(), context.Request.Query["lastEventId"].FirstOrDefault());
            _requests.Add(request);
        }

        using var message = new HttpRequestMessage(HttpMethod.Get, request.PathAndQuery);
        if (request.LastEventIdHeader is { } header)
        {
            message.Headers.Add("Last-Event-ID", header);
        }
        var aborted = context.RequestAborted;
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, aborted);
            request.Status = (int)response.StatusCode;
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (name is not ("Transfer-Encoding" or "Content-Length" or "Connection"))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }
            await using var body = await response.Content.ReadAsStreamAsync(aborted);
            var buffer = new byte[4096];
            var frames = 0;
            var previous = (byte)0;
            int read;
            while ((read = await body.ReadAsync(buffer, aborted)) > 0)
            {
                var chunk = buffer.AsMemory(0, read);
                if (request.Index == 0)
                {
                    for (var i = 0; i < read; i++)
                    {
                        if (buffer[i] == '\n' && previous == '\n' && ++frames == cutAfterFrames)
                        {
                            // Forward up to the middle of the next frame, then cut without ending the response.
                            var cutAt = Math.Min(read, i + 1 + 12);
                            await context.Response.Body.WriteAsync(buffer.AsMemory(0, cutAt), aborted);
                            await context.Response.Body.FlushAsync(aborted);
                            await Task.Delay(100, aborted);
                            request.Cut = true;
                            context.Abort();
                            return;
                        }
                        previous = buffer[i];
                    }
                }
                await context.Response.Body.WriteAsync(chunk, aborted);
                await context.Response.Body.FlushAsync(aborted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
            // The browser or the application went away; nothing to forward.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _http.Dispose();
    }
}

public sealed class ProxiedRequest(int index, string pathAndQuery, string? lastEventIdHeader, string? lastEventIdQuery)
{
    public int Index { get; } = index;
    public string PathAndQuery { get; } = pathAndQuery;
    public string? LastEventIdHeader { get; } = lastEventIdHeader;
    public string? LastEventIdQuery { get; } = lastEventIdQuery;
    public int? Status { get; set; }
    public bool Cut { get; set; }
}
