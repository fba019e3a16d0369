using System.IO.Compression;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using StageStream.Core.Persistence;
using StageStream.Core.Pipeline;
using StageStream.Core.Projects;
using StageStream.Web.Access;

namespace StageStream.Web.Api;

/// <summary>Managing projects: search and paging, rename, duplicate, delete, run history, estimates and downloads.</summary>
public static class ProjectLibraryApi
{
    public const int DefaultPageSize = 100;

    public static void MapProjectLibraryApi(this RouteGroupBuilder group)
    {
        group.MapPost("/{id}/rename", RenameAsync);
        group.MapPost("/{id}/duplicate", DuplicateAsync);
        group.MapDelete("/{id}", DeleteAsync);
        group.MapGet("/{id}/runs", RunsAsync);
        group.MapGet("/{id}/estimate", EstimateAsync);
        group.MapGet("/{id}/download/{what}", DownloadAsync);
    }

    /// <summary>
    /// GET /api/v1/projects?q=&amp;status=&amp;page=&amp;page_size=: one page of the caller's projects (an admin's, or
    /// without accounts anyone's, has all), newest first; the total is in X-Total-Count.
    /// </summary>
    public static async Task<Ok<List<ProjectSummaryDto>>> SearchAsync(
        string? q, string? status, int? page, int? page_size, ProjectLibrary library, HttpContext context, CancellationToken ct)
    {
        var slice = await library.SearchAsync(q, status, page ?? 1, page_size ?? DefaultPageSize, context.Viewer().ListFilter, ct);
        var response = context.Response;
        response.Headers["X-Total-Count"] = slice.Total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Ok(slice.Items.Select(p => p.ToSummary()).ToList());
    }

    private static async Task<Ok<ProjectDto>> RenameAsync(string id, RenameProjectRequest request, ProjectLibrary library, CancellationToken ct) =>
        TypedResults.Ok((await library.RenameAsync(id, request.Name, ct)).ToDto());

    /// <summary>The copy belongs to the caller.</summary>
    private static async Task<Created<ProjectDto>> DuplicateAsync(
        string id, DuplicateProjectRequest? request, ProjectLibrary library, HttpContext context, CancellationToken ct)
    {
        var copy = await library.DuplicateAsync(id, request?.Name, context.Viewer().UserId, ct);
        return TypedResults.Created(Urls.Project(copy.Id), copy.ToDto());
    }

    private static async Task<NoContent> DeleteAsync(string id, ProjectLibrary library, CancellationToken ct)
    {
        await library.DeleteAsync(id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<List<StageRunDto>>> RunsAsync(string id, ProjectLibrary library, CancellationToken ct) =>
        TypedResults.Ok((await library.RunsAsync(id, ct)).Select(r => r.ToDto()).ToList());

    private static async Task<Ok<EstimateDto>> EstimateAsync(string id, ProjectService projects, RunEstimates estimates, CancellationToken ct) =>
        TypedResults.Ok((await estimates.EstimateAsync(await projects.GetAsync(id, ct), ct)).ToDto());

    /// <summary><c>film</c> (.mp4), <c>subtitles.srt</c>, <c>subtitles.vtt</c> or <c>media.zip</c> (frames and clips), as attachments named after the project.</summary>
    private static async Task<IResult> DownloadAsync(string id, string what, ProjectService projects, DataFolder data, HttpContext context, CancellationToken ct)
    {
        var project = await projects.GetAsync(id, ct);
        var baseName = FileNameOf(project.Name);
        if (what == "media.zip")
        {
            var files = project.ShotsInOrder.SelectMany(s => new[] { s.ImagePath, s.ClipPath }).OfType<string>()
                .Select(data.ToFull).Where(File.Exists).ToList();
            if (files.Count == 0)
            {
                throw NothingYet("frames or clips");
            }
            context.Response.ContentType = "application/zip";
            var disposition = new ContentDispositionHeaderValue("attachment");
            disposition.SetHttpFileName(baseName + "-media.zip");
            context.Response.Headers.ContentDisposition = disposition.ToString();
            // Frames and clips are compressed already: stored as they are, streamed as they are read.
            await using var zip = new ZipArchive(context.Response.BodyWriter.AsStream(), ZipArchiveMode.Create, leaveOpen: true);
            foreach (var file in files)
            {
                await zip.CreateEntryFromFileAsync(file, Path.GetFileName(file), CompressionLevel.NoCompression, ct);
            }
            return Results.Empty;
        }
        var (path, type, extension) = what switch
        {
            "film" => (project.FinalVideoPath, "video/mp4", ".mp4"),
            "subtitles.srt" => (project.SubtitlesSrtPath, "application/x-subrip; charset=utf-8", ".srt"),
            "subtitles.vtt" => (project.SubtitlesVttPath, "text/vtt; charset=utf-8", ".vtt"),
            _ => throw new NotFoundException("Download not found",
                $"'{what}' is not something to download; use film, subtitles.srt, subtitles.vtt or media.zip.") { Code = "download_unknown" },
        };
        if (path is null || !File.Exists(data.ToFull(path)))
        {
            throw NothingYet(what == "film" ? "film" : "subtitles");
        }
        return Results.File(data.ToFull(path), type, baseName + extension, enableRangeProcessing: true);
    }

    private static NotFoundException NothingYet(string what) =>
        new("Not made yet", $"The project has no {what} yet: run the pipeline first.") { Code = "download_not_ready" };

    /// <summary>The project's name as a file name: the characters no file system takes become '_'.</summary>
    public static string FileNameOf(string name)
    {
        var invalid = Path.GetInvalidFileNameChars().Concat(['"', '\\', ':', '*', '?', '<', '>', '|']).ToHashSet();
        var cleaned = new string(name.Select(c => invalid.Contains(c) || char.IsControl(c) ? '_' : c).ToArray()).Trim().Trim('.');
        return cleaned.Length == 0 ? "film" : cleaned;
    }
}
