using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Web.Access;
using StageStream.Web.Api;

namespace StageStream.Web.Components.Shared;

/// <summary>
/// What the pages do with projects: the REST endpoints' logic (the same Core services), called in
/// process. Each call gets its own scope, because a circuit lives for minutes and a DbContext kept
/// that long would serve stale tracked entities and could be used by two events at once.
/// Results are the API's DTOs, immutable snapshots the pages can render from any thread.
/// Scoped to the circuit: every call is checked against its viewer (<see cref="ViewerState"/>), as the gate checks
/// HTTP requests; without one (component tests) everything is open, as with <c>Auth:Mode=none</c>.
/// </summary>
public sealed class ProjectActions(IServiceScopeFactory scopes, IOptions<StorageOptions> storage, ViewerState? viewerState = null)
{
    public async Task<Viewer> ViewerAsync() => viewerState is null ? Viewer.Open : await viewerState.GetAsync();

    /// <summary>One page of the viewer's projects whose name contains <paramref name="query"/>, of one status if given, and the total.</summary>
    public async Task<(List<ProjectSummaryDto> Items, int Total)> SearchAsync(string? query, string? status, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        var viewer = await ViewerAsync();
        return await WithLibrary(async library =>
        {
            var slice = await library.SearchAsync(query, status, page, pageSize, viewer.ListFilter, cancellationToken);
            return (slice.Items.Select(p => p.ToSummary()).ToList(), slice.Total);
        });
    }

    public async Task<ProjectDto> RenameAsync(string id, string? name, CancellationToken cancellationToken = default)
    {
        var viewer = await EnsureAsync(id, change: true, cancellationToken);
        var project = await WithLibrary(async library => (await library.RenameAsync(id, name, cancellationToken)).ToDto());
        await AuditAsync(viewer, "edit", id, "renamed " + project.Name);
        return project;
    }

    /// <summary>A copy of a project the viewer may see, owned by the viewer.</summary>
    public async Task<ProjectDto> DuplicateAsync(string id, string? name, CancellationToken cancellationToken = default)
    {
        var viewer = await EnsureAsync(id, change: true, cancellationToken);
        var copy = await WithLibrary(async library => (await library.DuplicateAsync(id, name, viewer.UserId, cancellationToken)).ToDto());
        await AuditAsync(viewer, "create", copy.Id, "duplicate of " + id);
        return copy;
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var viewer = await EnsureAsync(id, change: true, cancellationToken);
        await WithLibrary(async library =>
        {
            await library.DeleteAsync(id, cancellationToken);
            return true;
        });
        await AuditAsync(viewer, "delete", id, null);
    }

    public async Task<List<StageRunDto>> RunsAsync(string id, CancellationToken cancellationToken = default)
    {
        await EnsureAsync(id, change: false, cancellationToken);
        return await WithLibrary(async library => (await library.RunsAsync(id, cancellationToken)).Select(r => r.ToDto()).ToList());
    }

    public async Task<EstimateDto> EstimateAsync(string id, CancellationToken cancellationToken = default)
    {
        await EnsureAsync(id, change: false, cancellationToken);
        return await InScope(async services => (await services.GetRequiredService<RunEstimates>()
            .EstimateAsync(await services.GetRequiredService<ProjectService>().GetAsync(id, cancellationToken), cancellationToken)).ToDto());
    }

    public async Task<ProjectDto> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await EnsureAsync(id, change: false, cancellationToken);
        return await WithProjects(async projects => (await projects.GetAsync(id, cancellationToken)).ToDto());
    }

    /// <summary>Whether the viewer may watch the project's events (the live views ask before subscribing).</summary>
    public async Task<bool> CanSeeAsync(string id, CancellationToken cancellationToken = default)
    {
        try
        {
            await EnsureAsync(id, change: false, cancellationToken);
            return true;
        }
        catch (NotFoundException)
        {
            return false;
        }
    }

    public async Task<ProjectDto> CreateAsync(string? name, string? originalText, FilmSettings? settings = null, CancellationToken cancellationToken = default)
    {
        var viewer = await ViewerAsync();
        if (viewer.Via != Via.Open && !viewer.SignedIn)
        {
            throw AccessFailure.SignInRequired();
        }
        var project = await WithProjects(async projects =>
            (await projects.CreateAsync(name, originalText, settings ?? FilmSettings.None, cancellationToken, viewer.UserId)).ToDto());
        await AuditAsync(viewer, "create", project.Id, project.Name);
        return project;
    }

    public async Task<ShotDto> EditShotAsync(string id, int sequence, string? narration, string? visualPrompt, CancellationToken cancellationToken = default)
    {
        var viewer = await EnsureAsync(id, change: true, cancellationToken);
        var shot = await WithProjects(async projects => (await projects.EditShotAsync(id, sequence, narration, visualPrompt, cancellationToken)).ToDto());
        await AuditAsync(viewer, "edit", id, $"shot {sequence}");
        return shot;
    }

    public Task RunStageAsync(string id, string stage, bool force, CancellationToken cancellationToken = default) =>
        WithPipeline(id, "run", stage, (pipeline, project, viewer) => pipeline.StartStageAsync(project, stage, force, cancellationToken, viewer.Actor), cancellationToken);

    /// <summary>A new share link to the project; the only time its token is shown.</summary>
    public async Task<NewShareLinkDto> ShareAsync(string id, CancellationToken cancellationToken = default)
    {
        var viewer = await EnsureAsync(id, change: true, cancellationToken);
        var share = await InScope(services => services.GetRequiredService<AccountStores>().CreateShareAsync(id, viewer.UserId, cancellationToken));
        await AuditAsync(viewer, "share", id, share.Id);
        return share;
    }

    public async Task<List<ShareLinkDto>> SharesAsync(string id, CancellationToken cancellationToken = default)
    {
        await EnsureAsync(id, change: true, cancellationToken);
        return await InScope(services => services.GetRequiredService<AccountStores>().SharesAsync(id, cancellationToken));
    }

    public async Task RevokeShareAsync(string id, string shareId, CancellationToken cancellationToken = default)
    {
        var viewer = await EnsureAsync(id, change: true, cancellationToken);
        await InScope(async services =>
        {
            await services.GetRequiredService<AccountStores>().RevokeShareAsync(id, shareId, cancellationToken);
            return true;
        });
        await AuditAsync(viewer, "unshare", id, shareId);
    }

    /// <summary>Opens a share link for this circuit: its project, or null when the link is unknown or revoked.</summary>
    public async Task<string?> OpenShareAsync(string token, CancellationToken cancellationToken = default)
    {
        var projectId = await InScope(services => services.GetRequiredService<AccountStores>().ShareProjectAsync(token, cancellationToken));
        if (projectId is not null)
        {
            viewerState?.ViewShared(projectId);
        }
        return projectId;
    }

    /// <summary>Stores an uploaded background track (checked to be audio) as the project's music; null content removes it.</summary>
    public async Task<ProjectDto> SetMusicAsync(string id, Stream? content, string? fileName, CancellationToken cancellationToken = default)
    {
        var viewer = await EnsureAsync(id, change: true, cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        var projects = scope.ServiceProvider.GetRequiredService<ProjectService>();
        await projects.GetAsync(id, cancellationToken);
        var path = content is null ? null
            : await scope.ServiceProvider.GetRequiredService<StageStream.Core.Narration.MusicUpload>().SaveAsync(id, content, fileName, cancellationToken);
        var project = (await projects.SetMusicAsync(id, path, cancellationToken)).ToDto();
        await AuditAsync(viewer, "edit", id, content is null ? "music removed" : "music set");
        return project;
    }

    public Task RunPipelineAsync(string id, bool force, CancellationToken cancellationToken = default) =>
        WithPipeline(id, "run", "pipeline", (pipeline, project, viewer) => pipeline.StartPipelineAsync(project, force, cancellationToken, viewer.Actor), cancellationToken);

    public Task CancelAsync(string id, CancellationToken cancellationToken = default) =>
        WithPipeline(id, "cancel", null, (pipeline, project, _) => pipeline.CancelAsync(project, cancellationToken), cancellationToken);

    private async Task WithPipeline(string id, string action, string? detail, Func<PipelineService, Project, Viewer, Task> work, CancellationToken cancellationToken)
    {
        var viewer = await EnsureAsync(id, change: true, cancellationToken);
        await InScope(async services =>
        {
            var project = await services.GetRequiredService<ProjectService>().GetAsync(id, cancellationToken);
            await work(services.GetRequiredService<PipelineService>(), project, viewer);
            return true;
        });
        await AuditAsync(viewer, action, id, detail);
    }

    /// <summary>The viewer, if they may see (or with <paramref name="change"/>, change) the project; else the project is not found.</summary>
    private async Task<Viewer> EnsureAsync(string id, bool change, CancellationToken cancellationToken)
    {
        var viewer = await ViewerAsync();
        if (viewer.Via == Via.Open)
        {
            return viewer;
        }
        var (exists, ownerId) = await InScope(services => services.GetRequiredService<AccountStores>().OwnerOfAsync(id, cancellationToken));
        if (!exists || !viewer.CanSee(id, ownerId))
        {
            throw NotFoundException.Project(id);
        }
        if (change && !viewer.CanChange(id, ownerId))
        {
            throw AccessFailure.Forbidden("Read-only link", "A share link can only watch the project.");
        }
        return viewer;
    }

    private async Task AuditAsync(Viewer viewer, string action, string projectId, string? detail)
    {
        if (viewer.Via == Via.Open)
        {
            return;
        }
        await InScope(async services =>
        {
            await services.GetRequiredService<AccountStores>().RecordAsync(viewer, action, projectId, detail, CancellationToken.None);
            return true;
        });
    }

    private Task<T> WithLibrary<T>(Func<ProjectLibrary, Task<T>> work) =>
        InScope(services => work(services.GetRequiredService<ProjectLibrary>()));

    private Task<T> WithProjects<T>(Func<ProjectService, Task<T>> work) =>
        InScope(services => work(services.GetRequiredService<ProjectService>()));

    /// <summary>A full or unwritable data folder becomes a <see cref="StorageFaultException"/>, which the pages show like any refusal.</summary>
    private async Task<T> InScope<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            return await work(scope.ServiceProvider);
        }
        catch (Exception e) when (e is not ProjectRequestException && StorageFaults.AsFault(e, storage.Value.DataPath) is { } fault)
        {
            StorageFaults.ForgetReadOnlyConnections();
            throw fault;
        }
    }
}
