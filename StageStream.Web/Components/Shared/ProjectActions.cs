using Microsoft.Extensions.Options;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Web.Api;

namespace StageStream.Web.Components.Shared;

/// <summary>
/// What the pages do with projects: the REST endpoints' logic (the same Core services), called in
/// process. Each call gets its own scope, because a circuit lives for minutes and a DbContext kept
/// that long would serve stale tracked entities and could be used by two events at once.
/// Results are the API's DTOs, immutable snapshots the pages can render from any thread.
/// </summary>
public sealed class ProjectActions(IServiceScopeFactory scopes, IOptions<StorageOptions> storage)
{
    public Task<List<ProjectSummaryDto>> ListAsync(CancellationToken cancellationToken = default) =>
        WithProjects(async projects => (await projects.ListAsync(cancellationToken)).Select(p => p.ToSummary()).ToList());

    /// <summary>One page of the projects whose name contains <paramref name="query"/>, of one status if given, and the total.</summary>
    public Task<(List<ProjectSummaryDto> Items, int Total)> SearchAsync(string? query, string? status, int page, int pageSize, CancellationToken cancellationToken = default) =>
        WithLibrary(async library =>
        {
            var slice = await library.SearchAsync(query, status, page, pageSize, cancellationToken);
            return (slice.Items.Select(p => p.ToSummary()).ToList(), slice.Total);
        });

    public Task<ProjectDto> RenameAsync(string id, string? name, CancellationToken cancellationToken = default) =>
        WithLibrary(async library => (await library.RenameAsync(id, name, cancellationToken)).ToDto());

    public Task<ProjectDto> DuplicateAsync(string id, string? name, CancellationToken cancellationToken = default) =>
        WithLibrary(async library => (await library.DuplicateAsync(id, name, cancellationToken)).ToDto());

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        WithLibrary(async library =>
        {
            await library.DeleteAsync(id, cancellationToken);
            return true;
        });

    public Task<List<StageRunDto>> RunsAsync(string id, CancellationToken cancellationToken = default) =>
        WithLibrary(async library => (await library.RunsAsync(id, cancellationToken)).Select(r => r.ToDto()).ToList());

    public Task<EstimateDto> EstimateAsync(string id, CancellationToken cancellationToken = default) =>
        InScope(async services => (await services.GetRequiredService<RunEstimates>()
            .EstimateAsync(await services.GetRequiredService<ProjectService>().GetAsync(id, cancellationToken), cancellationToken)).ToDto());

    public Task<ProjectDto> GetAsync(string id, CancellationToken cancellationToken = default) =>
        WithProjects(async projects => (await projects.GetAsync(id, cancellationToken)).ToDto());

    public Task<ProjectDto> CreateAsync(string? name, string? originalText, FilmSettings? settings = null, CancellationToken cancellationToken = default) =>
        WithProjects(async projects => (await projects.CreateAsync(name, originalText, settings ?? FilmSettings.None, cancellationToken)).ToDto());

    public Task<ShotDto> EditShotAsync(string id, int sequence, string? narration, string? visualPrompt, CancellationToken cancellationToken = default) =>
        WithProjects(async projects => (await projects.EditShotAsync(id, sequence, narration, visualPrompt, cancellationToken)).ToDto());

    public Task RunStageAsync(string id, string stage, bool force, CancellationToken cancellationToken = default) =>
        WithPipeline(id, (pipeline, project) => pipeline.StartStageAsync(project, stage, force, cancellationToken), cancellationToken);

    /// <summary>Stores an uploaded background track (checked to be audio) as the project's music; null content removes it.</summary>
    public async Task<ProjectDto> SetMusicAsync(string id, Stream? content, string? fileName, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var projects = scope.ServiceProvider.GetRequiredService<ProjectService>();
        await projects.GetAsync(id, cancellationToken);
        var path = content is null ? null
            : await scope.ServiceProvider.GetRequiredService<StageStream.Core.Narration.MusicUpload>().SaveAsync(id, content, fileName, cancellationToken);
        return (await projects.SetMusicAsync(id, path, cancellationToken)).ToDto();
    }

    public Task RunPipelineAsync(string id, bool force, CancellationToken cancellationToken = default) =>
        WithPipeline(id, (pipeline, project) => pipeline.StartPipelineAsync(project, force, cancellationToken), cancellationToken);

    public Task CancelAsync(string id, CancellationToken cancellationToken = default) =>
        WithPipeline(id, (pipeline, project) => pipeline.CancelAsync(project, cancellationToken), cancellationToken);

    private Task WithPipeline(string id, Func<PipelineService, Project, Task> work, CancellationToken cancellationToken) =>
        InScope(async services =>
        {
            var project = await services.GetRequiredService<ProjectService>().GetAsync(id, cancellationToken);
            await work(services.GetRequiredService<PipelineService>(), project);
            return true;
        });

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
