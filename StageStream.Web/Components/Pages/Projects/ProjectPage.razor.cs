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

    public static string UrlOf(string id) => $"/projects/{Uri.EscapeDataString(id)}";

    private bool AnyActive => _stages.Values.Any(s => s.Status.IsActive());

    protected override async Task OnParametersSetAsync()
    {
        try
        {
            Apply(await Actions.GetAsync(Id), syncStages: true);
            _canShare = (await Actions.ViewerAsync()).SignedIn;
        }
        catch (NotFoundException ex)
        {
            _loadError = ex.Message;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && _loadError is null)
        {
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
        view.Status = status ?? view.Status;
        view.Progress = message.Progress ?? view.Progress;
        view.Message = message.Message;
        if (status == StageStatus.Queued)
        {
            view.Error = null;
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
            view.Message = message.Message;
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
            _pipelineError = error;
        }
        else if (_stages.TryGetValue(message.Stage, out var view))
        {
            view.Error = error;
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
            Snackbar.Add(ex.Message, Severity.Error);
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
            Snackbar.Add(ex.Message, Severity.Error);
        }
        catch (IOException ex)
        {
            // The browser's stream refuses a file over the size limit.
            Snackbar.Add(ex.Message, Severity.Error);
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
            Snackbar.Add(ex.Message, Severity.Error);
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
            Snackbar.Add(ex.Message, Severity.Error);
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
            try
            {
                project = await Actions.GetAsync(Id);
            }
            catch (ProjectRequestException)
            {
            }
            await InvokeAsync(() =>
            {
                _reloadScheduled = false;
                if (project is not null)
                {
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
                    view.Error = stage.Error;
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
    }
}
