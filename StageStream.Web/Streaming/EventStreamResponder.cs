using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;
using StageStream.Core.Events;
using StageStream.Core.Persistence;
using StageStream.Core.Projects;

namespace StageStream.Web.Streaming;

/// <summary>
/// Writes one SSE connection: <c>connected</c> at once, then the subscription's shared frames,
/// heartbeats in silences, and <c>stream_end</c> when the stream's run ends or it idles out.
/// One loop per connection drains that connection's bounded buffer; the hub never waits for it.
/// </summary>
public sealed class EventStreamResponder(
    IEventSubscriptions subscriptions,
    IServiceScopeFactory scopes,
    StreamCors cors,
    IOptions<StreamingOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    StreamTicker ticker,
    ILogger<EventStreamResponder> logger)
{
    public const string IdleTimeoutReason = "idle_timeout";

    /// <summary>
    /// An EventSource asks only for <c>text/event-stream</c>, and the problem details writer writes
    /// nothing for a request that does not accept JSON; a refused stream must still say why.
    /// </summary>
    public static void AcceptProblems(HttpContext context)
    {
        var accept = context.Request.Headers.Accept;
        if (accept.Count > 0)
        {
            context.Request.Headers.Accept = new([.. accept, "application/problem+json"]);
        }
    }

    /// <summary>The stream of a project (404 problem if there is none): a stage's, or all its stages' with <paramref name="stage"/> null.</summary>
    public async Task RespondAsync(HttpContext context, string projectId, string? stage)
    {
        await EnsureProjectExistsAsync(projectId, context.RequestAborted);
        var afterId = ResumeId(context.Request);
        var lean = IsLean(context.Request);
        // Ends the stream (without stream_end, so clients reconnect) when the server stops,
        // which otherwise would wait for every open stream.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var stopping = stop.Token;

        // Subscribe before anything is written: the connected message's id is then a point from
        // which nothing this stream selects can be missed.
        await using var subscription = await SubscribeOrNullAsync(projectId, stage, afterId, stopping);
        if (subscription is null)
        {
            // The event log is out of reach for the moment (Redis down). A browser's EventSource gives up for
            // good on any status but 200, so answer a stream that only says "come back in a second": it then
            // reconnects by itself, with its Last-Event-ID, and loses nothing.
            StartStream(context, cors);
            try
            {
                await context.Response.Body.WriteAsync(RetryLater, stopping);
                await context.Response.Body.FlushAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            return;
        }
        if (subscription.AlreadyEnded)
        {
            // The client resumed after the end and nothing is new: 204 tells a browser to stop reconnecting.
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            cors.Apply(context);
            return;
        }

        StartStream(context, cors);

        using var connection = new Connection(context, subscription, options.Value, clock, lean, stop);
        ticker.Add(connection);
        var opened = clock.GetTimestamp();
        logger.LogDebug("Stream of project {ProjectId} stage {Stage} opened after id {AfterId}", projectId, stage ?? "*", afterId);
        try
        {
            await connection.RunAsync();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The client left or the server is stopping; the subscription is released by the using.
        }
        catch (Exception e) when (e is SubscriberLaggedException or StopException { Kind: Stop.CutOff })
        {
            // Too far behind: the response simply ends and the client resumes from its last id.
            logger.LogInformation("Stream of project {ProjectId} stage {Stage} cut off after id {LastId}: the client read too slowly",
                projectId, stage ?? "*", subscription.LastId);
        }
        catch (StopException e) when (e.Kind == Stop.Stalled)
        {
            // The client stopped reading altogether: nothing more can reach it, so drop the connection.
            logger.LogInformation("Stream of project {ProjectId} stage {Stage} aborted after id {LastId}: the client stopped reading",
                projectId, stage ?? "*", subscription.LastId);
            context.Abort();
        }
        catch (StopException e) when (e.Kind == Stop.ClientGone)
        {
        }
        finally
        {
            ticker.Remove(connection);
            // Released before anything else (the usings only cover the early returns and are then no-ops): the project's
            // state here goes the moment its last stream ends.
            connection.Dispose();
            subscription.Dispose();
            // Request logging passes event streams by (StreamingExtensions.UseExceptForEventStreams); this is their line.
            logger.LogInformation("Stream of project {ProjectId} stage {Stage} closed after {Seconds:0.0} s at id {LastId}",
                projectId, stage ?? "*", clock.GetElapsedTime(opened).TotalSeconds, connection.LastWrittenId);
        }
    }

    // A scope of its own, disposed before streaming: a DbContext taken from the request's scope would
    // live (with EF's loggers and SQLite connection) for the whole stream, ~30 KiB per connection.
    private async Task EnsureProjectExistsAsync(string projectId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StageStreamDbContext>();
        if (!await db.Projects.AsNoTracking().AnyAsync(p => p.Id == projectId, cancellationToken))
        {
            throw NotFoundException.Project(projectId);
        }
    }

    /// <summary>What a stream says when the event log cannot be read: reconnect after 1 s.</summary>
    private static readonly byte[] RetryLater = [.. SseFormat.Retry, .. ": event log temporarily unavailable, reconnect\n\n"u8];

    private async Task<EventSubscription?> SubscribeOrNullAsync(string projectId, string? stage, long? afterId, CancellationToken stopping)
    {
        try
        {
            return await subscriptions.SubscribeAsync(projectId, stage, afterId, stopping);
        }
        catch (EventLogUnavailableException e)
        {
            logger.LogWarning("Stream of project {ProjectId} stage {Stage} not opened: {Reason} The client is told to retry in 1 s.",
                projectId, stage ?? "*", e.Message);
            return null;
        }
    }

    /// <summary>
    /// The status and headers of every event stream. CORS headers are set here, not before: the exception handler
    /// clears the headers of a refused stream, and gives its problem CORS headers of its own (<see cref="StreamCors.ApplyToProblem"/>).
    /// </summary>
    private static void StartStream(HttpContext context, StreamCors cors)
    {
        cors.Apply(context);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        // Compression would hold messages back until a block fills.
        if (context.Features.Get<IHttpsCompressionFeature>() is { } compression)
        {
            compression.Mode = HttpsCompressionMode.DoNotCompress;
        }
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>The <c>Last-Event-ID</c> header (sent by a reconnecting EventSource) or, failing that, <c>?lastEventId=</c>.</summary>
    internal static long? ResumeId(HttpRequest request)
    {
        var header = request.Headers["Last-Event-ID"].ToString();
        var raw = header.Trim().Length > 0 ? header : request.Query["lastEventId"].ToString();
        if (raw.Trim().Length == 0)
        {
            return null;
        }
        if (!long.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            throw new InvalidInputException("Invalid Last-Event-ID",
                $"'{Truncate(raw)}' is not an event id: give the id of the last message received (a whole number from 0 to {long.MaxValue}), or none to start from the latest run.");
        }
        return id;
    }

    /// <summary><c>?full_text=none</c>: token messages without <c>full_text</c> (see docs/sse-protocol.md); <c>full</c> or nothing: with it.</summary>
    internal static bool IsLean(HttpRequest request)
    {
        var value = request.Query["full_text"].ToString().Trim();
        return value.ToLowerInvariant() switch
        {
            "" or "full" => false,
            "none" => true,
            _ => throw new InvalidInputException("Invalid full_text",
                $"'{Truncate(value)}' is not a form of token message: use full_text=none for tokens without full_text, or full_text=full (the default) for tokens with it."),
        };
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "...";

    /// <summary>The write loop of one connection.</summary>
    private sealed class Connection(
        HttpContext context, EventSubscription subscription, StreamingOptions options, TimeProvider clock, bool lean, CancellationTokenSource stop)
        : IDisposable, StreamTicker.ITicked
    {
        private readonly CancellationToken stopping = stop.Token;
        private readonly PipeWriter _writer = context.Response.BodyWriter;
        // A flush waiting on a client that does not read is given up the moment the hub cuts it off (a registration,
        // not a linked token source: this lives as long as the stream, and at 10,000 streams each object counts).
        private readonly CancellationTokenRegistration _cutOffFlush = subscription.CutOff.UnsafeRegister(
            static writer => ((PipeWriter)writer!).CancelPendingFlush(), context.Response.BodyWriter);
        private readonly TimeSpan _heartbeat = options.Heartbeat;
        private readonly TimeSpan _idleTimeout = options.IdleTimeout(subscription.Stage);
        private readonly long _coalesceAfter = (long)(options.CoalesceAfterMilliseconds * System.Diagnostics.Stopwatch.Frequency / 1000);
        // A replay comes out of the iterator without waiting; flushing every so many bytes keeps it
        // from piling up in memory in front of a slow client.
        private const int FlushThreshold = 64 * 1024;

        private long _lastWrite;
        private long _lastMessage;
        private int _wakePending;
        private bool _unflushed;
        private long _unflushedBytes;
        // Not subscription.LastId: at an idle timeout a read may just have taken an event that was
        // never written, and stream_end must not let a resume skip it.
        private long _lastWrittenId = subscription.StartId;
        public long LastWrittenId => _lastWrittenId;
        // Lean form: the run whose text this connection has sent; a token of any other run carries its full text.
        private string? _runWithText;
        private List<DeliveredEvent>? _merging;

        public async Task RunAsync()
        {
            _writer.Write(SseFormat.Retry.AsSpan());
            _writer.Write(ConnectedFrame().AsSpan());
            _unflushed = true;
            // Flushed at once, so the browser sees the stream open before any stage event.
            await FlushAsync();
            Volatile.Write(ref _lastWrite, clock.GetTimestamp());
            Volatile.Write(ref _lastMessage, _lastWrite);

            var events = subscription.ReadAllAsync(stopping).GetAsyncEnumerator(stopping);
            ValueTask<bool> next = default;
            var reading = false;
            DeliveredEvent? held = null;
            try
            {
                while (true)
                {
                    DeliveredEvent current;
                    if (held is not null)
                    {
                        current = held;
                        held = null;
                    }
                    else
                    {
                        if (!reading)
                        {
                            next = events.MoveNextAsync();
                            reading = true;
                        }
                        if (!next.IsCompleted)
                        {
                            // Everything that came at once went out in one flush; now wait for more (the ticker
                            // wakes this wait when a heartbeat or the idle timeout is due).
                            await FlushAsync();
                        }
                        reading = false;
                        if (!await next)
                        {
                            break;
                        }
                        current = events.Current;
                    }
                    if (ReferenceEquals(current, DeliveredEvent.WakeUp))
                    {
                        Volatile.Write(ref _wakePending, 0);
                        if (!await OnWakeAsync())
                        {
                            await EndAsync(EventStreamResponder.IdleTimeoutReason);
                            return;
                        }
                        continue;
                    }
                    if (!current.IsToken || !ShouldMerge(current))
                    {
                        await WriteAsync(current, current.IsToken ? FrameOf(current, null) : current.Frame);
                        continue;
                    }
                    // Behind: the tokens of this run that are already waiting go out as one message (per aligned span, see MergeSpan).
                    var merging = _merging ??= [];
                    merging.Clear();
                    merging.Add(current);
                    var ended = false;
                    while (true)
                    {
                        next = events.MoveNextAsync();
                        if (!next.IsCompleted)
                        {
                            reading = true;
                            break;
                        }
                        if (!await next)
                        {
                            ended = true;
                            break;
                        }
                        var candidate = events.Current;
                        if (candidate.IsToken && candidate.Event.RunId == current.Event.RunId && candidate.MergeGroup == current.MergeGroup)
                        {
                            merging.Add(candidate);
                            continue;
                        }
                        held = candidate;
                        break;
                    }
                    await WriteAsync(merging[^1], FrameOf(merging[^1], merging));
                    merging.Clear();
                    if (ended)
                    {
                        break;
                    }
                }
            }
            finally
            {
                // An async iterator cannot be disposed while a read is in flight: stop the read first. Only an
                // error leaves one in flight (the client is gone), so the whole stream's source can be cancelled.
                if (reading)
                {
                    await stop.CancelAsync();
                    await Quietly(next);
                }
                await events.DisposeAsync();
            }
            if (subscription.EndReason is { } reason)
            {
                await EndAsync(reason);
            }
        }

        /// <summary>
        /// Merge when this token was handed on long enough ago that the connection has fallen behind, and, on a lean
        /// stream, for a replay: a (re)connecting client gets the text so far in one message.
        /// </summary>
        private bool ShouldMerge(DeliveredEvent token) =>
            (lean && token.Replayed) || System.Diagnostics.Stopwatch.GetTimestamp() - token.DeliveredAt >= _coalesceAfter;

        /// <summary>The frame of one token, or of tokens merged into one message; lean streams send full_text once per run.</summary>
        private ReadOnlyMemory<byte> FrameOf(DeliveredEvent last, IReadOnlyList<DeliveredEvent>? merged)
        {
            var withFullText = !lean || last.Event.RunId != _runWithText;
            if (lean)
            {
                _runWithText = last.Event.RunId;
            }
            return merged is null ? (withFullText ? last.Frame : last.LeanFrame) : last.MergedFrame(merged, withFullText);
        }

        private async ValueTask WriteAsync(DeliveredEvent delivered, ReadOnlyMemory<byte> frame)
        {
            _writer.Write(frame.Span);
            _lastWrittenId = delivered.Id;
            _unflushed = true;
            _unflushedBytes += frame.Length;
            var now = clock.GetTimestamp();
            Volatile.Write(ref _lastWrite, now);
            Volatile.Write(ref _lastMessage, now);
            if (_unflushedBytes >= FlushThreshold)
            {
                await FlushAsync();
            }
        }

        /// <summary>The ticker's wake-up: writes a heartbeat if one is due; false once the stream has idled out.</summary>
        private async ValueTask<bool> OnWakeAsync()
        {
            var now = clock.GetTimestamp();
            if (clock.GetElapsedTime(_lastMessage, now) >= _idleTimeout)
            {
                return false;
            }
            if (clock.GetElapsedTime(_lastWrite, now) >= _heartbeat)
            {
                _writer.Write(SseFormat.Heartbeat.AsSpan());
                _unflushed = true;
                await FlushAsync();
                Volatile.Write(ref _lastWrite, clock.GetTimestamp());
            }
            return true;
        }

        /// <summary>Called by the ticker on its own thread: wakes the writer once when a heartbeat or the idle timeout is due.</summary>
        public void Tick()
        {
            var now = clock.GetTimestamp();
            var due = clock.GetElapsedTime(Volatile.Read(ref _lastWrite), now) >= _heartbeat
                || clock.GetElapsedTime(Volatile.Read(ref _lastMessage), now) >= _idleTimeout;
            if (due && Interlocked.Exchange(ref _wakePending, 1) == 0 && !subscription.Wake())
            {
                // A full buffer: the writer has messages to write anyway; try again on the next tick.
                Volatile.Write(ref _wakePending, 0);
            }
        }

        private async Task EndAsync(string reason)
        {
            _writer.Write(StreamEndFrame(reason).AsSpan());
            _unflushed = true;
            await FlushAsync();
        }

        private async Task FlushAsync()
        {
            if (!_unflushed)
            {
                return;
            }
            if (subscription.CutOff.IsCancellationRequested)
            {
                // Cut off while still reading: end the response; what is written reaches the client.
                throw new StopException(Stop.CutOff);
            }
            var result = await _writer.FlushAsync(stopping);
            if (result.IsCanceled)
            {
                throw new StopException(subscription.CutOff.IsCancellationRequested ? Stop.Stalled : Stop.ClientGone);
            }
            if (result.IsCompleted)
            {
                throw new StopException(Stop.ClientGone);
            }
            stopping.ThrowIfCancellationRequested();
            _unflushed = false;
            _unflushedBytes = 0;
        }

        private byte[] ConnectedFrame() => SseFormat.Frame(subscription.StartId, json =>
        {
            json.WriteStartObject();
            json.WriteString("type", EventTypes.Connected);
            json.WriteString("project_id", subscription.ProjectId);
            if (subscription.Stage is not null)
            {
                json.WriteString("stage", subscription.Stage);
            }
            json.WriteString("message", subscription.Stage is null
                ? $"Connected to all stages of project {subscription.ProjectId}"
                : $"Connected to stage {subscription.Stage} of project {subscription.ProjectId}");
            json.WriteNumber("timestamp", Now());
            json.WriteEndObject();
        });

        /// <summary><c>stream_end</c> carries the last event's id, so a reconnect from it is answered with 204.</summary>
        private byte[] StreamEndFrame(string reason) => SseFormat.Frame(_lastWrittenId, json =>
        {
            json.WriteStartObject();
            json.WriteString("type", EventTypes.StreamEnd);
            json.WriteString("project_id", subscription.ProjectId);
            if (subscription.Stage is not null)
            {
                json.WriteString("stage", subscription.Stage);
            }
            json.WriteString("message", reason);
            json.WriteNumber("timestamp", Now());
            json.WriteEndObject();
        });

        private double Now() => clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

        private static async Task Quietly(ValueTask<bool> task)
        {
            try
            {
                await task;
            }
            catch (Exception e) when (e is OperationCanceledException or SubscriberLaggedException)
            {
            }
        }

        public void Dispose() => _cutOffFlush.Dispose();
    }

    private enum Stop
    {
        /// <summary>The client disconnected.</summary>
        ClientGone,

        /// <summary>The hub cut the client off for reading too slowly.</summary>
        CutOff,

        /// <summary>Cut off while a flush was waiting on a client that no longer reads.</summary>
        Stalled,
    }

    private sealed class StopException(Stop kind) : Exception
    {
        public Stop Kind { get; } = kind;
    }
}
