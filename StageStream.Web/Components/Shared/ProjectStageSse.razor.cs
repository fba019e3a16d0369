using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;
using StageStream.Web.Api;

namespace StageStream.Web.Components.Shared;

/// <summary>
/// The seed's ProjectStageSSE debug panel. Unlike the other pages it does not subscribe in process:
/// the browser's own EventSource reads the SSE endpoint through the JavaScript client
/// (/js/stagestream-sse.js), so the table shows the real wire traffic, ids and all.
/// </summary>
public sealed partial class ProjectStageSse : ComponentBase, IAsyncDisposable
{
    public const string AllStages = "";

    /// <summary>Enough for a whole pipeline's messages; older ones are dropped beyond it.</summary>
    public const int MaxMessages = 20_000;

    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(50);

    private readonly List<SseRow> _messages = [];
    private readonly SortedDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly System.Text.StringBuilder _tokenText = new();
    private string? _tokenRunId;
    private bool? _tokensConsistent;
    private List<ProjectSummaryDto> _projects = [];
    private DotNetObjectReference<ProjectStageSse>? _self;
    private IJSObjectReference? _module;
    private int _session;
    private long _lastRender;
    private bool _renderScheduled;
    private bool _disposed;

    public enum ConnectionStatus { Disconnected, Connecting, Connected, Reconnecting }

    [Parameter]
    public string? InitialProjectId { get; set; }

    [Parameter]
    public string? InitialStageName { get; set; }

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Inject]
    private ProjectActions Actions { get; set; } = default!;

    public string? ProjectId { get; set; }
    public string StageName { get; set; } = AllStages;
    public bool AutoReconnect { get; set; } = true;
    public ConnectionStatus Status { get; private set; } = ConnectionStatus.Disconnected;
    public string? Error { get; set; }
    public IReadOnlyList<SseRow> Messages => _messages;

    /// <summary>Reconnections the client made (after the server or the network dropped the stream).</summary>
    public int Reconnects { get; private set; }

    /// <summary>The latest text run's tokens, put together from their <c>content</c> deltas as they arrived.</summary>
    public string TokenText => _tokenText.ToString();

    /// <summary>
    /// Whether the deltas added up to the server's <c>full_text</c> the last time it sent one: a gap or a repeat after a
    /// reconnect shows here. The page reads the lean form, where the first token of a connection and <c>done</c> carry it.
    /// </summary>
    public bool? TokensConsistent => _tokensConsistent;

    private bool IsOpen => Status != ConnectionStatus.Disconnected;

    private Color StatusColor => Status switch
    {
        ConnectionStatus.Connected => Color.Success,
        ConnectionStatus.Connecting or ConnectionStatus.Reconnecting => Color.Warning,
        _ => Color.Default,
    };

    protected override async Task OnInitializedAsync()
    {
        ProjectId = InitialProjectId;
        StageName = InitialStageName ?? AllStages;
        try
        {
            // The newest projects the viewer may see: enough to pick from.
            _projects = (await Actions.SearchAsync(null, null, 1, StageStream.Core.Projects.ProjectLibrary.MaxPageSize)).Items;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Error = ex.Message;
        }
    }

    private void PickProject(string id) => ProjectId = id;

    public async Task ConnectAsync()
    {
        if (string.IsNullOrWhiteSpace(ProjectId))
        {
            return;
        }
        Error = null;
        Reconnects = 0;
        Status = ConnectionStatus.Connecting;
        var session = ++_session;
        try
        {
            _self ??= DotNetObjectReference.Create(this);
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/sse-demo.js");
            await _module.InvokeVoidAsync("connect", _self, session, ProjectId.Trim(), StageName == AllStages ? null : StageName, AutoReconnect);
        }
        catch (JSException ex)
        {
            Status = ConnectionStatus.Disconnected;
            Error = ex.Message;
        }
    }

    public async Task DisconnectAsync()
    {
        _session++;
        Status = ConnectionStatus.Disconnected;
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("disconnect");
            }
            catch (JSDisconnectedException)
            {
            }
        }
    }

    private void Clear()
    {
        _messages.Clear();
        _counts.Clear();
        _tokenText.Clear();
        _tokenRunId = null;
        _tokensConsistent = null;
    }

    private void TrackText(string type, JsonElement message)
    {
        var runId = message.TryGetProperty("run_id", out var run) ? run.GetString() : null;
        if (type == "token")
        {
            if (runId != _tokenRunId)
            {
                _tokenRunId = runId;
                _tokenText.Clear();
            }
            _tokenText.Append(message.TryGetProperty("content", out var content) ? content.GetString() : null);
            if (message.TryGetProperty("full_text", out var full))
            {
                _tokensConsistent = full.GetString() == TokenText;
            }
        }
        else if (type == "done" && runId == _tokenRunId && message.TryGetProperty("full_text", out var doneText) && doneText.GetString() is { Length: > 0 } text)
        {
            _tokensConsistent = text == TokenText;
        }
    }

    [JSInvokable]
    public void OnOpen(int session, bool reconnected)
    {
        if (session != _session)
        {
            return;
        }
        Status = ConnectionStatus.Connected;
        if (reconnected)
        {
            // The drop was recovered; the reconnect count still tells it happened.
            Error = null;
        }
        Render(immediately: true);
    }

    [JSInvokable]
    public void OnMessage(int session, string json, string? id)
    {
        if (session != _session)
        {
            return;
        }
        var type = "?";
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.TryGetProperty("type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String)
            {
                type = typeElement.GetString()!;
            }
            if (type is "error" or "pipeline_error" && document.RootElement.TryGetProperty("error", out var error))
            {
                Error = error.GetString();
            }
            TrackText(type, document.RootElement);
        }
        catch (JsonException)
        {
        }
        _messages.Add(new SseRow(DateTimeOffset.UtcNow, id, type, json));
        if (_messages.Count > MaxMessages)
        {
            _messages.RemoveRange(0, _messages.Count - MaxMessages);
        }
        _counts[type] = _counts.GetValueOrDefault(type) + 1;
        Render(immediately: type != "token");
    }

    [JSInvokable]
    public void OnParseError(int session, string raw)
    {
        if (session == _session)
        {
            Error = $"Unreadable message: {raw}";
            Render(immediately: true);
        }
    }

    [JSInvokable]
    public void OnTransportError(int session, string error, bool willRetry)
    {
        if (session == _session)
        {
            Error = error;
            Status = willRetry ? ConnectionStatus.Reconnecting : Status;
            Render(immediately: true);
        }
    }

    [JSInvokable]
    public void OnReconnecting(int session, int attempt, int delay)
    {
        if (session == _session)
        {
            Status = ConnectionStatus.Reconnecting;
            Reconnects++;
            Render(immediately: true);
        }
    }

    [JSInvokable]
    public void OnClose(int session, string reason)
    {
        if (session == _session)
        {
            Status = ConnectionStatus.Disconnected;
            Render(immediately: true);
        }
    }

    /// <summary>JS calls arrive on the circuit's dispatcher; token floods are drawn about 20 times a second.</summary>
    private void Render(bool immediately)
    {
        if (_disposed)
        {
            return;
        }
        var now = Stopwatch.GetTimestamp();
        if (immediately || Stopwatch.GetElapsedTime(_lastRender, now) >= RenderInterval)
        {
            _lastRender = now;
            StateHasChanged();
            return;
        }
        if (!_renderScheduled)
        {
            _renderScheduled = true;
            _ = Task.Delay(RenderInterval).ContinueWith(_ => InvokeAsync(() =>
            {
                _renderScheduled = false;
                if (!_disposed)
                {
                    _lastRender = Stopwatch.GetTimestamp();
                    StateHasChanged();
                }
            }), TaskScheduler.Default);
        }
    }

    private static Color ColorOf(string type) => type switch
    {
        "connected" => Color.Success,
        "token" => Color.Default,
        "stage_update" => Color.Info,
        "progress" => Color.Primary,
        "item_completed" => Color.Secondary,
        "done" or "stage_completed" or "pipeline_done" => Color.Success,
        "error" or "pipeline_error" => Color.Error,
        "stream_end" => Color.Dark,
        _ => Color.Warning,
    };

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _session++;
        if (_module is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("disconnect");
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
            }
        }
        _self?.Dispose();
    }
}

/// <summary>One row of the message table: when it came, its SSE id, its type and its JSON.</summary>
public sealed record SseRow(DateTimeOffset Time, string? Id, string Type, string Json)
{
    private const int PreviewLength = 400;

    /// <summary>Long texts (a token's full_text) are cut so the table stays readable.</summary>
    public string Preview => Json.Length <= PreviewLength ? Json : Json[..PreviewLength] + "…";
}
