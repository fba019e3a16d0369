using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using StageStream.Core.Narration;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Web.Access;

namespace StageStream.Web.Api;

/// <summary>The REST API: projects, their stages and shots, and starting and cancelling runs.</summary>
public static class ProjectsApi
{
    public static RouteGroupBuilder MapProjectsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/projects").WithTags("Projects");
        group.MapPost("/", CreateAsync);
        group.MapGet("/", ProjectLibraryApi.SearchAsync);
        group.MapGet("/{id}", GetAsync);
        group.MapPatch("/{id}", UpdateAsync);
        group.MapPatch("/{id}/shots/{sequence:int}", EditShotAsync);
        group.MapPost("/{id}/music", UploadMusicAsync).DisableAntiforgery()
            .WithMetadata(new RequestSizeLimitAttribute(MusicUpload.MaxBytes + 1024 * 1024));
        group.MapDelete("/{id}/music", RemoveMusicAsync);
        group.MapPost("/{id}/stages/{stage}/run", RunStageAsync);
        group.MapPost("/{id}/pipeline/run", RunPipelineAsync);
        group.MapPost("/{id}/cancel", CancelAsync);
        group.MapProjectLibraryApi();
        return group;
    }

    private static async Task<Created<ProjectDto>> CreateAsync(CreateProjectRequest request, ProjectService projects, HttpContext context, CancellationToken ct)
    {
        var project = await projects.CreateAsync(request.Name, request.OriginalText, request.ToSettings(), ct, context.Viewer().UserId);
        return TypedResults.Created(Urls.Project(project.Id), project.ToDto());
    }

    private static async Task<Ok<ProjectDto>> UpdateAsync(string id, UpdateProjectRequest request, ProjectService projects, CancellationToken ct) =>
        TypedResults.Ok((await projects.UpdateSettingsAsync(id, request.ToSettings(), ct)).ToDto());

    /// <summary>multipart/form-data with the audio in a field named <c>file</c>.</summary>
    private static async Task<Ok<ProjectDto>> UploadMusicAsync(
        string id, HttpRequest request, ProjectService projects, MusicUpload music, CancellationToken ct)
    {
        await projects.GetAsync(id, ct);
        if (!request.HasFormContentType)
        {
            throw new InvalidInputException("Multipart form expected", "Send the music as multipart/form-data with the file in a field named 'file'.");
        }
        var form = await request.ReadFormAsync(ct);
        var file = form.Files["file"] ?? form.Files.FirstOrDefault()
            ?? throw new InvalidInputException("No file", "The form has no file; send the music in a field named 'file'.");
        await using var content = file.OpenReadStream();
        var path = await music.SaveAsync(id, content, file.FileName, ct);
        try
        {
            return TypedResults.Ok((await projects.SetMusicAsync(id, path, ct)).ToDto());
        }
        catch
        {
            File.Delete(Path.Combine(request.HttpContext.RequestServices.GetRequiredService<DataFolder>().MediaRoot, path));
            throw;
        }
    }

    private static async Task<Ok<ProjectDto>> RemoveMusicAsync(string id, ProjectService projects, CancellationToken ct) =>
        TypedResults.Ok((await projects.SetMusicAsync(id, null, ct)).ToDto());

    private static async Task<Ok<ProjectDto>> GetAsync(string id, ProjectService projects, CancellationToken ct) =>
        TypedResults.Ok((await projects.GetAsync(id, ct)).ToDto());

    private static async Task<Ok<ShotDto>> EditShotAsync(string id, int sequence, EditShotRequest request, ProjectService projects, CancellationToken ct) =>
        TypedResults.Ok((await projects.EditShotAsync(id, sequence, request.Narration, request.VisualPrompt, ct, request.Duration)).ToDto());

    private static async Task<Accepted<RunAcceptedDto>> RunStageAsync(
        string id, string stage, bool? force, ProjectService projects, PipelineService pipeline, HttpContext context, CancellationToken ct)
    {
        if (!StageCatalog.IsValid(stage))
        {
            throw NotFoundException.Stage(stage);
        }
        var project = await projects.GetAsync(id, ct);
        var record = await pipeline.StartStageAsync(project, stage, force ?? false, ct, context.Viewer().Actor);
        var stream = Urls.StageStream(id, stage);
        return TypedResults.Accepted(stream, new RunAcceptedDto(id, stage, record.RunId!, record.Status.ToWire(), stream));
    }

    private static async Task<Accepted<RunAcceptedDto>> RunPipelineAsync(
        string id, bool? force, ProjectService projects, PipelineService pipeline, HttpContext context, CancellationToken ct)
    {
        var project = await projects.GetAsync(id, ct);
        var runId = await pipeline.StartPipelineAsync(project, force ?? false, ct, context.Viewer().Actor);
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
