using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using StageStream.Core.Events;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Web.Api;
using StageStream.Web.Components.Shared;

namespace StageStream.Web.Components.Pages.Projects;

/// <summary>
/// The live pipeline of one project. The database gives the starting state; the project's event
/// stream (all stages) moves the stage cards and the rewrite text; the shots, images and films are
/// read again from the database when a stage reports something new.
/// </summary>
public sealed partial class ProjectPage : StageStreamComponentBase
{
    private static readonly TimeSpan ReloadDelay = TimeSpan.FromMilliseconds(250);

    private readonly Dictionary<string, StageView> _stages = StageCatalog.Names.ToDictionary(s => s, _ => new StageView());
    private ProjectDto? _project;
    private string? _loadError;
    private string _rewriteText = "";
    private string? _pipelineMessage;
    private string? _pipelineError;
    private bool _pipelineDone;
    private bool _busy;
    private bool _reloadScheduled;
    private bool _syncStagesOnReload;
    private List<StageRunDto>? _runs;
    private EstimateDto? _estimate;
    private DateTimeOffset _estimatedAt;
    private string? _announcement;
    private Timer? _ticker;

    [Parameter, EditorRequired]
    public required string Id { get; set; }

    /// <summary>Set on a share link's page: the project is shown read-only, its media fetched with the link's token.</summary>
    [Parameter]
    public string? ShareToken { get; set; }

    private bool _canShare;

    [Inject]
    private ProjectActions Actions { get; set; } = default!;

    [Inject]
    private UiText T { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private WorkLimiter Limiter { get; set; } = default!;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

    public static string UrlOf(string id) => $"/projects/{Uri.EscapeDataString(id)}";

    private bool AnyActive => _stages.Values.Any(s => s.Status.IsActive());

    /// <summary>The project's status as the stages say it: running while any stage is, whatever the last run left.</summary>
    private string HeaderStatus => AnyActive ? ProjectStatus.Running.ToWire() : _project?.Status ?? ProjectStatus.Draft.ToWire();

    /// <summary>The pipeline's share done: each stage a fifth, a stage's progress counting only up to 99% until it is done.</summary>
    private int OverallProgress => (int)Math.Floor(_stages.Values.Sum(v => v.Status == StageStatus.Completed ? 100 : Math.Min(v.Progress, 99)) / (double)_stages.Count);

    /// <summary>The estimate of the time left, counted down since it was made; null without history or when nothing is left to do.</summary>
    private double? RemainingSeconds => _estimate?.RemainingSeconds is { } left && OverallProgress < 100
        ? Math.Max(0, Math.Round(left - (AnyActive ? (Clock.GetUtcNow() - _estimatedAt).TotalSeconds : 0)))
        : null;

    private string OverallRemainingText => OverallProgress >= 100 ? T["Pipeline.AllDone"]
        : RemainingSeconds is { } left ? T.Format("Pipeline.TimeLeft", T.Duration(TimeSpan.FromSeconds(left)))
        : _estimate is not null && AnyActive ? T["Pipeline.NoEstimate"] : "";

    private string DownloadUrl(string what) =>
        $"{Urls.Project(Id)}/download/{what}" + (ShareToken is null ? "" : "?share=" + Uri.EscapeDataString(ShareToken));

    /// <summary>The offline camera describes a move in English; the pages say its move, length and the shot type instead.</summary>
    private string? CameraText(ShotDto shot) => shot.CameraDescription is null ? null
        : shot.CameraProvider == "offline" && shot.CameraMove is not null
            ? T.Format("Camera.Caption", T["Camera." + shot.CameraMove], T.ShotType(shot.ShotType), shot.Duration.ToString("0.#", System.Globalization.CultureInfo.CurrentCulture))
            : shot.CameraDescription;

    /// <summary>Why a queued stage has not started: the slot it waits for and how many runs are before it.</summary>
    private string? WaitingReason(string stage)
    {
        var view = _stages[stage];
        if (view.Status != StageStatus.Queued || view.RunId is null)
        {
            return null;
        }
        var kind = StageCatalog.Of(stage).Kind;
        return Limiter.RunsAhead(kind, view.RunId) is { } ahead
            ? T.Format("Queue.Waiting", T["Queue.Kind." + kind], ahead)
            : T["Queue.Starting"];
    }

    protected override async Task OnParametersSetAsync()
    {
        try
        {
            Apply(await Actions.GetAsync(Id), syncStages: true);
            _canShare = (await Actions.ViewerAsync()).SignedIn;
            await LoadExtrasAsync();
        }
        catch (NotFoundException ex)
        {
            _loadError = ex.Message;
        }
    }

    /// <summary>The run history and the time-left estimate, read again with the project.</summary>
    private async Task LoadExtrasAsync()
    {
        try
        {
            _runs = await Actions.RunsAsync(Id);
            _estimate = await Actions.EstimateAsync(Id);
            _estimatedAt = Clock.GetUtcNow();
        }
        catch (ProjectRequestException)
        {
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && _loadError is null)
        {
            // The countdown and the queue reasons move once a second while something runs.
            _ticker = new Timer(_ => _ = InvokeAsync(() =>
            {
                if (AnyActive)
                {
                    StateHasChanged();
                }
            }), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            await ConnectAsync(Id);
        }
    }

    protected override void OnToken(StageEvent message)
    {
        if (message.Stage == StageNames.Rewrite)
        {
            _rewriteText = Texts.Of(StageNames.Rewrite);
        }
    }

    protected override void OnStageUpdate(StageEvent message)
    {
        if (message.Stage == StageNames.Pipeline)
        {
            _pipelineDone = false;
            _pipelineError = null;
            _pipelineMessage = StageStatuses.Parse(message.Status) == StageStatus.Cancelled ? T["Pipeline.Cancelled"] : T["Pipeline.Started"];
            return;
        }
        if (!_stages.TryGetValue(message.Stage, out var view))
        {
            return;
        }
        var status = StageStatuses.Parse(message.Status);
        if (status is { } changed && changed != view.Status && changed != StageStatus.Skipped)
        {
            _announcement = T.Format("Live.StageStatus", T.Stage(message.Stage), T["Status." + changed.ToWire()]);
        }
        view.Status = status == StageStatus.Skipped ? StageStatus.Completed : status ?? view.Status;
        view.Progress = status == StageStatus.Skipped ? 100 : message.Progress ?? view.Progress;
        view.RunId = message.RunId;
        view.Message = T.Error(CodedError.FromMetadata(message.Metadata), message.Message);
        if (status == StageStatus.Queued)
        {
            view.Error = null;
            if (_pipelineMessage is not null && !_pipelineDone && message.PipelineRunId is null)
            {
                // A single stage started after a cancelled or failed pipeline: the old words no longer hold.
                _pipelineMessage = null;
            }
            view.Progress = 0;
            if (message.Stage == StageNames.Rewrite)
            {
                _rewriteText = "";
            }
        }
        if (status?.IsFinal() == true)
        {
            ReloadSoon();
        }
    }

    protected override void OnProgress(StageEvent message)
    {
        if (_stages.TryGetValue(message.Stage, out var view))
        {
            view.Progress = message.Progress ?? view.Progress;
            view.Message = T.Caption(message.Stage, message.Current, message.Total);
        }
    }

    protected override void OnItemCompleted(StageEvent message) => ReloadSoon();

    protected override void OnDone(StageEvent message)
    {
        if (message.Type == EventTypes.PipelineDone)
        {
            _pipelineDone = true;
            _pipelineMessage = T["Pipeline.Done"];
        }
        else if (_stages.TryGetValue(message.Stage, out var view))
        {
            view.Status = StageStatus.Completed;
            view.Progress = 100;
            if (message.Stage == StageNames.Rewrite && message.FullText is { Length: > 0 } text)
            {
                _rewriteText = text;
            }
        }
        ReloadSoon();
    }

    protected override void OnError(string error, StageEvent? message)
    {
        if (message is null || message.Stage == StageNames.Pipeline)
        {
            _pipelineError = T.Error(CodedError.FromMetadata(message?.Metadata), error);
        }
        else if (_stages.TryGetValue(message.Stage, out var view))
        {
            view.Error = T.Error(CodedError.FromMetadata(message.Metadata), error);
        }
        ReloadSoon();
    }

    /// <summary>
    /// The stream's run is over: the database is the truth again. When the run ended (rather than the
    /// page disconnecting), the page follows on from the last message, so a run started elsewhere
    /// (the API, another tab) shows up live too.
    /// </summary>
    protected override void OnClose(string? reason)
    {
        ReloadSoon(syncStages: true);
        if (reason is not null)
        {
            _ = InvokeAsync(() => ConnectAsync(Id, afterId: LastEventId));
        }
    }

    private async Task RunAllAsync() => await ActAsync(() => Actions.RunPipelineAsync(Id, force: false));

    /// <summary>Runs a stage; one already completed is run again (force), as its button says.</summary>
    private async Task RunStageAsync(string stage) =>
        await ActAsync(() => Actions.RunStageAsync(Id, stage, force: _stages[stage].Status == StageStatus.Completed));

    private async Task CancelAsync() => await ActAsync(() => Actions.CancelAsync(Id));

    private async Task ActAsync(Func<Task> action)
    {
        _busy = true;
        try
        {
            // Follow the stream before starting, from where the page left it, so no event is missed.
            if (!Connected)
            {
                await ConnectAsync(Id, afterId: LastEventId);
            }
            _pipelineError = null;
            await action();
        }
        catch (ProjectRequestException ex)
        {
            Snackbar.Add(T.Error(ex), Severity.Error);
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task UploadMusicAsync(InputFileChangeEventArgs e)
    {
        try
        {
            await using var content = e.File.OpenReadStream(StageStream.Core.Narration.MusicUpload.MaxBytes);
            Apply(await Actions.SetMusicAsync(Id, content, e.File.Name), syncStages: true);
            Snackbar.Add(T["Video.MusicSaved"], Severity.Success);
        }
        catch (ProjectRequestException ex)
        {
            Snackbar.Add(T.Error(ex), Severity.Error);
        }
        catch (IOException ex)
        {
            // The browser's stream refuses a file over the size limit.
            Snackbar.Add(T.Error(ex), Severity.Error);
        }
    }

    private async Task RemoveMusicAsync()
    {
        try
        {
            Apply(await Actions.SetMusicAsync(Id, null, null), syncStages: true);
        }
        catch (ProjectRequestException ex)
        {
            Snackbar.Add(T.Error(ex), Severity.Error);
        }
    }

    private async Task SaveShotAsync(ShotEdit edit)
    {
        try
        {
            await Actions.EditShotAsync(Id, edit.Sequence, edit.Narration, edit.VisualPrompt);
            Snackbar.Add(T.Format("Storyboard.Saved", edit.Sequence), Severity.Success);
            Apply(await Actions.GetAsync(Id), syncStages: true);
        }
        catch (ProjectRequestException ex)
        {
            Snackbar.Add(T.Error(ex), Severity.Error);
        }
    }

    private void ReloadSoon(bool syncStages = false)
    {
        _syncStagesOnReload |= syncStages;
        if (_reloadScheduled)
        {
            return;
        }
        _reloadScheduled = true;
        _ = Task.Run(async () =>
        {
            await Task.Delay(ReloadDelay);
            ProjectDto? project = null;
            List<StageRunDto>? runs = null;
            EstimateDto? estimate = null;
            try
            {
                project = await Actions.GetAsync(Id);
                runs = await Actions.RunsAsync(Id);
                estimate = await Actions.EstimateAsync(Id);
            }
            catch (ProjectRequestException)
            {
            }
            await InvokeAsync(() =>
            {
                _reloadScheduled = false;
                if (project is not null)
                {
                    _runs = runs ?? _runs;
                    (_estimate, _estimatedAt) = (estimate ?? _estimate, Clock.GetUtcNow());
                    // Stage cards follow the events during a run (a read can be older than them); after it, the database.
                    Apply(project, syncStages: _syncStagesOnReload);
                    _syncStagesOnReload = false;
                }
                RequestRender(immediately: true);
            });
        });
    }

    private void Apply(ProjectDto project, bool syncStages)
    {
        _project = project;
        if (syncStages)
        {
            foreach (var stage in project.Stages)
            {
                if (_stages.TryGetValue(stage.Stage, out var view))
                {
                    view.Status = StageStatuses.Parse(stage.Status) ?? StageStatus.Pending;
                    view.Progress = view.Status == StageStatus.Completed ? 100 : stage.Progress;
                    view.Error = stage.Error is null ? null : T.Error(stage.ErrorCode, stage.Error);
                    view.RunId = stage.RunId;
                }
            }
        }
        if (project.RewrittenText is { Length: > 0 } text && !_stages[StageNames.Rewrite].Status.IsActive())
        {
            _rewriteText = text;
        }
    }

    /// <summary>A remade image or clip keeps its path; the project's update time makes the browser fetch it again.</summary>
    private string? Versioned(string? url) => url is null ? null
        : $"{url}?v={_project?.UpdatedAt.ToUnixTimeMilliseconds()}" + (ShareToken is null ? "" : "&share=" + Uri.EscapeDataString(ShareToken));

    private sealed class StageView
    {
        public StageStatus Status { get; set; } = StageStatus.Pending;
        public int Progress { get; set; }
        public string? Message { get; set; }
        public string? Error { get; set; }
        public string? RunId { get; set; }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_ticker is not null)
        {
            await _ticker.DisposeAsync();
        }
        await base.DisposeAsync();
    }
}
