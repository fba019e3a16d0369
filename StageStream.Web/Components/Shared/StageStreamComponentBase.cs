using System.Diagnostics;
using Microsoft.AspNetCore.Components;
using StageStream.Core.Events;

namespace StageStream.Web.Components.Shared;

/// <summary>
/// The Blazor counterpart of the seed's Vue <c>sseClientMixin</c>: a component that follows one
/// project's events (one stage, or all of them) through <see cref="IEventSubscriptions"/>, the API the
/// SSE endpoint reads, so it sees the same replay and order. It keeps <see cref="Connected"/>,
/// <see cref="Messages"/> and <see cref="Error"/>, and calls the overridable hooks for each message:
/// <see cref="OnMessage"/> first, then the one for the message's type.
/// Derived components call <see cref="ConnectAsync"/> from <c>OnAfterRenderAsync(firstRender)</c>, so
/// prerendering never subscribes. Token floods are rendered at most every <see cref="RenderInterval"/>;
/// every message is still handled, so no text is lost, only intermediate frames.
/// </summary>
public abstract class StageStreamComponentBase : ComponentBase, IAsyncDisposable
{
    private readonly List<StageEvent> _messages = [];
    private CancellationTokenSource? _connection;
    private EventSubscription? _subscription;
    private bool _open;
    private bool _disposed;
    private long _lastRenderTicks = long.MinValue;
    private bool _renderScheduled;

    [Inject]
    private IEventSubscriptions Subscriptions { get; set; } = default!;

    /// <summary>Asked before subscribing: a circuit sees only the events of projects its viewer may see.</summary>
    [Inject]
    private ProjectActions Access { get; set; } = default!;

    /// <summary>True from the <c>connected</c> message until the stream ends or is disconnected.</summary>
    protected bool Connected { get; private set; }

    /// <summary>The latest error: a server <c>error</c>/<c>pipeline_error</c> message or a failed subscription.</summary>
    protected string? Error { get; set; }

    /// <summary>Every message received, oldest first, at most <see cref="MaxMessages"/>.</summary>
    protected IReadOnlyList<StageEvent> Messages => _messages;

    /// <summary>The id of the last message: connecting again after it resumes without loss.</summary>
    protected long? LastEventId { get; private set; }

    protected string? StreamProjectId { get; private set; }
    protected string? StreamStage { get; private set; }

    protected virtual int MaxMessages => 1000;

    /// <summary>At most one render per interval while messages pour in (about 20 per second).</summary>
    protected virtual TimeSpan RenderInterval => TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Subscribes to <paramref name="projectId"/>'s events of <paramref name="stage"/> (null: all
    /// stages and the pipeline). Without <paramref name="afterId"/> the stream's latest run is replayed
    /// from its start. An open connection is closed first.
    /// </summary>
    protected async Task ConnectAsync(string projectId, string? stage = null, long? afterId = null)
    {
        Disconnect();
        var connection = new CancellationTokenSource();
        _connection = connection;
        StreamProjectId = projectId;
        StreamStage = stage;
        Error = null;
        EventSubscription subscription;
        try
        {
            if (!await Access.CanSeeAsync(projectId, connection.Token))
            {
                Fail(connection, StageStream.Core.Projects.NotFoundException.Project(projectId).Message);
                return;
            }
            subscription = await Subscriptions.SubscribeAsync(projectId, stage, afterId, connection.Token);
        }
        catch (OperationCanceledException) when (connection.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            Fail(connection, ex.Message);
            return;
        }
        if (connection != _connection || _disposed)
        {
            subscription.Dispose();
            return;
        }
        _subscription = subscription;
        _open = true;
        Connected = true;
        Handle(connection, new StageEvent
        {
            Id = subscription.StartId,
            Type = EventTypes.Connected,
            ProjectId = projectId,
            Stage = stage ?? "all",
            RunId = "",
            Message = stage is null ? "Connected to all stages" : $"Connected to stage {stage}",
        });
        _ = Task.Run(() => PumpAsync(connection, subscription));
    }

    /// <summary>Stops following the stream; <see cref="OnClose"/> runs if it was open.</summary>
    protected void Disconnect()
    {
        var connection = _connection;
        _connection = null;
        connection?.Cancel();
        connection?.Dispose();
        _subscription?.Dispose();
        _subscription = null;
        Connected = false;
        if (_open)
        {
            _open = false;
            OnClose(null);
            RequestRender(immediately: true);
        }
    }

    protected void ClearMessages()
    {
        _messages.Clear();
        RequestRender(immediately: true);
    }

    /// <summary>Every message, before its type's hook.</summary>
    protected virtual void OnMessage(StageEvent message) { }

    protected virtual void OnConnected(StageEvent message) { }

    /// <summary>The text of each stage's current run so far, updated before <see cref="OnToken"/>.</summary>
    protected RunTexts Texts { get; } = new();

    /// <summary>A token: <see cref="StageEvent.Content"/> is the delta, <see cref="StageEvent.FullText"/> all text so far (see <see cref="Texts"/>).</summary>
    protected virtual void OnToken(StageEvent message) { }

    protected virtual void OnStageUpdate(StageEvent message) { }

    protected virtual void OnProgress(StageEvent message) { }

    protected virtual void OnItemCompleted(StageEvent message) { }

    /// <summary><c>done</c> of a stage, or <c>pipeline_done</c> (stage <c>pipeline</c>).</summary>
    protected virtual void OnDone(StageEvent message) { }

    /// <summary>A server <c>error</c>/<c>pipeline_error</c> message, or (message null) a failed subscription.</summary>
    protected virtual void OnError(string error, StageEvent? message) { }

    /// <summary>The stream ended (<paramref name="reason"/>: done, error, pipeline_done, ...) or was closed (null).</summary>
    protected virtual void OnClose(string? reason) { }

    private async Task PumpAsync(CancellationTokenSource connection, EventSubscription subscription)
    {
        var token = connection.Token;
        try
        {
            while (true)
            {
                try
                {
                    await foreach (var delivered in subscription.ReadAllAsync(token))
                    {
                        var message = delivered.Message;
                        await InvokeAsync(() => Handle(connection, message));
                    }
                    var reason = subscription.EndReason;
                    await InvokeAsync(() => End(connection, reason));
                    return;
                }
                catch (SubscriberLaggedException)
                {
                    // Too far behind: resume from the last message, as an SSE client would with Last-Event-ID.
                    var lastId = subscription.LastId;
                    subscription.Dispose();
                    subscription = await Subscriptions.SubscribeAsync(subscription.ProjectId, subscription.Stage, lastId, token);
                    await InvokeAsync(() =>
                    {
                        if (connection == _connection)
                        {
                            _subscription = subscription;
                        }
                        else
                        {
                            subscription.Dispose();
                        }
                    });
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (token.IsCancellationRequested || _disposed)
        {
        }
        catch (Exception ex)
        {
            await InvokeAsync(() => Fail(connection, ex.Message));
        }
    }

    private void Handle(CancellationTokenSource connection, StageEvent message)
    {
        if (connection != _connection || _disposed)
        {
            return;
        }
        if (message.Type != EventTypes.Connected)
        {
            LastEventId = message.Id;
        }
        _messages.Add(message);
        if (_messages.Count > MaxMessages)
        {
            _messages.RemoveRange(0, _messages.Count - MaxMessages);
        }
        OnMessage(message);
        var terminal = false;
        switch (message.Type)
        {
            case EventTypes.Connected:
                OnConnected(message);
                terminal = true;
                break;
            case EventTypes.Token:
                Texts.Track(message);
                OnToken(message);
                break;
            case EventTypes.StageUpdate:
                OnStageUpdate(message);
                break;
            case EventTypes.Progress:
                OnProgress(message);
                break;
            case EventTypes.ItemCompleted:
                OnItemCompleted(message);
                break;
            case EventTypes.Done or EventTypes.PipelineDone:
                OnDone(message);
                terminal = true;
                break;
            case EventTypes.Error or EventTypes.PipelineError:
                Error = message.Error ?? message.Message ?? "Unknown error";
                OnError(Error, message);
                terminal = true;
                break;
        }
        RequestRender(terminal);
    }

    private void End(CancellationTokenSource connection, string? reason)
    {
        if (connection != _connection || _disposed)
        {
            return;
        }
        Handle(connection, new StageEvent
        {
            Id = LastEventId ?? 0,
            Type = EventTypes.StreamEnd,
            ProjectId = StreamProjectId!,
            Stage = StreamStage ?? "all",
            RunId = "",
            Message = $"Stream ended: {reason}",
        });
        _subscription?.Dispose();
        _subscription = null;
        _connection = null;
        connection.Dispose();
        Connected = false;
        _open = false;
        OnClose(reason);
        RequestRender(immediately: true);
    }

    private void Fail(CancellationTokenSource connection, string error)
    {
        if (connection != _connection || _disposed)
        {
            return;
        }
        Error = error;
        OnError(error, null);
        _subscription?.Dispose();
        _subscription = null;
        _connection = null;
        Connected = false;
        if (_open)
        {
            _open = false;
            OnClose(null);
        }
        RequestRender(immediately: true);
    }

    /// <summary>Renders now, or once when the interval since the last render has passed.</summary>
    protected void RequestRender(bool immediately = false)
    {
        if (_disposed)
        {
            return;
        }
        var now = Stopwatch.GetTimestamp();
        var elapsed = _lastRenderTicks == long.MinValue ? TimeSpan.MaxValue : Stopwatch.GetElapsedTime(_lastRenderTicks, now);
        if (immediately || elapsed >= RenderInterval)
        {
            _lastRenderTicks = now;
            StateHasChanged();
            return;
        }
        if (_renderScheduled)
        {
            return;
        }
        _renderScheduled = true;
        _ = RenderLaterAsync(RenderInterval - elapsed);
    }

    private async Task RenderLaterAsync(TimeSpan delay)
    {
        await Task.Delay(delay);
        await InvokeAsync(() =>
        {
            _renderScheduled = false;
            if (!_disposed)
            {
                _lastRenderTicks = Stopwatch.GetTimestamp();
                StateHasChanged();
            }
        });
    }

    public virtual ValueTask DisposeAsync()
    {
        _disposed = true;
        _connection?.Cancel();
        _connection?.Dispose();
        _connection = null;
        _subscription?.Dispose();
        _subscription = null;
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
