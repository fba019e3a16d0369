using Microsoft.AspNetCore.Http.HttpResults;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;

namespace StageStream.Web.Api;

/// <summary>The REST API: projects, their stages and shots, and starting and cancelling runs.</summary>
public static class ProjectsApi
{
    public static RouteGroupBuilder MapProjectsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/projects").WithTags("Projects");
        group.MapPost("/", CreateAsync);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id}", GetAsync);
        group.MapPatch("/{id}/shots/{sequence:int}", EditShotAsync);
        group.MapPost("/{id}/stages/{stage}/run", RunStageAsync);
        group.MapPost("/{id}/pipeline/run", RunPipelineAsync);
        group.MapPost("/{id}/cancel", CancelAsync);
        return group;
    }

    private static async Task<Created<ProjectDto>> CreateAsync(CreateProjectRequest request, ProjectService projects, CancellationToken ct)
    {
        var project = await projects.CreateAsync(request.Name, request.OriginalText, ct);
        return TypedResults.Created(Urls.Project(project.Id), project.ToDto());
    }

    private static async Task<Ok<List<ProjectSummaryDto>>> ListAsync(ProjectService projects, CancellationToken ct) =>
        TypedResults.Ok((await projects.ListAsync(ct)).Select(p => p.ToSummary()).ToList());

    private static async Task<Ok<ProjectDto>> GetAsync(string id, ProjectService projects, CancellationToken ct) =>
        TypedResults.Ok((await projects.GetAsync(id, ct)).ToDto());

    private static async Task<Ok<ShotDto>> EditShotAsync(string id, int sequence, EditShotRequest request, ProjectService projects, CancellationToken ct) =>
        TypedResults.Ok((await projects.EditShotAsync(id, sequence, request.Narration, request.VisualPrompt, ct)).ToDto());

    private static async Task<Accepted<RunAcceptedDto>> RunStageAsync(
        string id, string stage, bool? force, ProjectService projects, PipelineService pipeline, CancellationToken ct)
    {
        if (!StageCatalog.IsValid(stage))
        {
            throw NotFoundException.Stage(stage);
        }
        var project = await projects.GetAsync(id, ct);
        var record = await pipeline.StartStageAsync(project, stage, force ?? false, ct);
        var stream = Urls.StageStream(id, stage);
        return TypedResults.Accepted(stream, new RunAcceptedDto(id, stage, record.RunId!, record.Status.ToWire(), stream));
    }

    private static async Task<Accepted<RunAcceptedDto>> RunPipelineAsync(
        string id, bool? force, ProjectService projects, PipelineService pipeline, CancellationToken ct)
    {
        var project = await projects.GetAsync(id, ct);
        var runId = await pipeline.StartPipelineAsync(project, force ?? false, ct);
        var stream = Urls.AllStagesStream(id);
        return TypedResults.Accepted(stream, new RunAcceptedDto(id, StageNames.Pipeline, runId, project.Status.ToWire(), stream));
    }

    private static async Task<Accepted<CancelAcceptedDto>> CancelAsync(string id, ProjectService projects, PipelineService pipeline, CancellationToken ct)
    {
        var project = await projects.GetAsync(id, ct);
        await pipeline.CancelAsync(project, ct);
        return TypedResults.Accepted(Urls.Project(id), new CancelAcceptedDto(id, "cancelling"));
    }
}
