using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Xunit.Abstractions;

namespace StageStream.Tests.Access;

/// <summary>
/// Every endpoint of the app (read from its <see cref="EndpointDataSource"/>), the media files and the pages, against
/// every kind of caller, each answering as specified. A new endpoint without a row here fails the test: add its
/// "METHOD /pattern" to <see cref="Rows"/> with the kind that says who may use it.
/// </summary>
public sealed class AccessMatrixTests(AccessApp fixture, ITestOutputHelper output) : IClassFixture<AccessApp>
{
    public enum Caller { Anonymous, OtherMember, Owner, Admin, ApiKey, RevokedKey, TokenForOtherProject, ExpiredToken, ShareLink }

    /// <summary>What a caller gets: let in, refused (401/403), told the project does not exist (404), sent to sign in, or a public answer.</summary>
    public enum Outcome { Allowed, Refused, Hidden, SignIn, Public }

    public enum Kind { ProjectRead, ProjectWrite, ProjectStream, ProjectPage, Media, SignedIn, SignedInWrite, Page, AdminOnly, Public }

    private const Outcome A = Outcome.Allowed, R = Outcome.Refused, H = Outcome.Hidden, S = Outcome.SignIn;

    /// <summary>By kind, in the order of <see cref="Caller"/>.</summary>
    private static readonly Dictionary<Kind, Outcome[]> Expected = new()
    {
        //                            anon other owner admin key revoked tokenQ expired share
        [Kind.ProjectRead] = [R, H, A, A, A, R, R, R, A],
        [Kind.ProjectWrite] = [R, H, A, A, A, R, R, R, R],
        [Kind.ProjectStream] = [R, H, A, A, A, R, H, R, A],
        [Kind.Media] = [R, H, A, A, A, R, R, R, A],
        [Kind.ProjectPage] = [S, H, A, A, A, S, S, S, S],
        [Kind.SignedIn] = [R, A, A, A, A, R, R, R, R],
        [Kind.SignedInWrite] = [R, A, A, A, A, R, R, R, R],
        [Kind.Page] = [S, A, A, A, A, S, S, S, S],
        [Kind.AdminOnly] = [R, R, R, A, R, R, R, R, R],
        [Kind.Public] = [Outcome.Public, Outcome.Public, Outcome.Public, Outcome.Public, Outcome.Public, Outcome.Public, Outcome.Public, Outcome.Public, Outcome.Public],
    };

    /// <summary>Every endpoint, by "METHOD /route pattern". Issue 14's delete/rename/duplicate add their rows here.</summary>
    private static readonly Dictionary<string, Kind> Rows = new()
    {
        ["POST /api/v1/projects/"] = Kind.SignedInWrite,
        ["GET /api/v1/projects/"] = Kind.SignedIn,
        ["GET /api/v1/projects/{id}"] = Kind.ProjectRead,
        ["PATCH /api/v1/projects/{id}"] = Kind.ProjectWrite,
        ["PATCH /api/v1/projects/{id}/shots/{sequence:int}"] = Kind.ProjectWrite,
        ["POST /api/v1/projects/{id}/music"] = Kind.ProjectWrite,
        ["DELETE /api/v1/projects/{id}/music"] = Kind.ProjectWrite,
        ["POST /api/v1/projects/{id}/stages/{stage}/run"] = Kind.ProjectWrite,
        ["POST /api/v1/projects/{id}/pipeline/run"] = Kind.ProjectWrite,
        ["POST /api/v1/projects/{id}/cancel"] = Kind.ProjectWrite,
        ["POST /api/v1/projects/{id}/stream-tokens"] = Kind.ProjectWrite,
        ["GET /api/v1/projects/{id}/shares"] = Kind.ProjectWrite, // the links are the owner's business, not a share viewer's
        ["POST /api/v1/projects/{id}/shares"] = Kind.ProjectWrite,
        ["DELETE /api/v1/projects/{id}/shares/{shareId}"] = Kind.ProjectWrite,
        ["GET /api/v1/sse/projects/{projectId}/stages/{stageName}"] = Kind.ProjectStream,
        ["GET /api/v1/sse/projects/{projectId}"] = Kind.ProjectStream,
        ["GET /api/v1/projects/sse/projects/{projectId}/stages/{stageName}"] = Kind.ProjectStream,
        ["GET /api/v1/projects/sse/projects/{projectId}"] = Kind.ProjectStream,
        ["OPTIONS /api/v1/sse/projects/{projectId}/stages/{stageName}"] = Kind.Public,
        ["OPTIONS /api/v1/sse/projects/{projectId}"] = Kind.Public,
        ["OPTIONS /api/v1/projects/sse/projects/{projectId}/stages/{stageName}"] = Kind.Public,
        ["OPTIONS /api/v1/projects/sse/projects/{projectId}"] = Kind.Public,
        ["POST /api/v1/projects/{id}/rename"] = Kind.ProjectWrite,
        ["POST /api/v1/projects/{id}/duplicate"] = Kind.ProjectWrite,
        ["DELETE /api/v1/projects/{id}"] = Kind.ProjectWrite,
        ["GET /api/v1/projects/{id}/runs"] = Kind.ProjectRead,
        ["GET /api/v1/projects/{id}/estimate"] = Kind.ProjectRead,
        ["GET /api/v1/projects/{id}/download/{what}"] = Kind.ProjectRead,
        ["GET /media/{id}/probe.txt"] = Kind.Media,
        ["GET /api/v1/keys/"] = Kind.SignedIn,
        ["POST /api/v1/keys/"] = Kind.SignedInWrite,
        ["DELETE /api/v1/keys/{keyId}"] = Kind.SignedInWrite,
        ["GET /api/v1/users"] = Kind.AdminOnly,
        ["POST /api/v1/users"] = Kind.AdminOnly,
        ["GET /api/v1/audit"] = Kind.AdminOnly,
        ["GET /openapi/{documentName}.json"] = Kind.SignedIn,
        ["GET /health"] = Kind.Public,
        ["GET /health/ready"] = Kind.Public,
        ["GET /health/live"] = Kind.Public,
        ["GET /culture/{culture}"] = Kind.Public,
        ["GET /error"] = Kind.Public,
        ["GET /not-found"] = Kind.Public,
        ["POST /auth/setup"] = Kind.Public,
        ["POST /auth/signin"] = Kind.Public,
        ["POST /auth/signout"] = Kind.Public,
        ["GET /"] = Kind.Page,
        ["GET /projects/{Id}"] = Kind.ProjectPage,
        ["GET /projects/{Id}/rewrite"] = Kind.ProjectPage,
        ["GET /settings"] = Kind.Page,
        ["GET /sse-demo"] = Kind.Page,
        ["GET /account/keys"] = Kind.Page,
        ["GET /account/users"] = Kind.Page,
        ["GET /account/audit"] = Kind.Page,
        ["GET /account/signin"] = Kind.Public,
        ["GET /account/setup"] = Kind.Public,
        ["GET /s/{Token}"] = Kind.Public,
        ["GET /{**path:file}"] = Kind.Public,
        ["HEAD /{**path:file}"] = Kind.Public,
        ["GET /_framework/opaque-redirect"] = Kind.Public,
    };

    [Fact]
    public async Task EveryEndpointAnswersEveryKindOfCallerAsSpecified()
    {
        var endpoints = AppEndpoints();
        var missing = endpoints.Where(e => !Rows.ContainsKey(e)).ToList();
        Assert.True(missing.Count == 0, "Endpoints without a row in the access matrix (add them to Rows):\n" + string.Join("\n", missing));
        var stale = Rows.Keys.Where(k => !endpoints.Contains(k) && !k.StartsWith("GET /media/", StringComparison.Ordinal)).ToList();
        Assert.True(stale.Count == 0, "Rows for endpoints the app no longer has:\n" + string.Join("\n", stale));

        var failures = new List<string>();
        var cells = 0;
        foreach (var (row, kind) in Rows)
        {
            var (method, pattern) = (row[..row.IndexOf(' ')], row[(row.IndexOf(' ') + 1)..]);
            foreach (var caller in Enum.GetValues<Caller>())
            {
                var expected = Expected[kind][(int)caller];
                var (status, title, location) = await SendAsync(method, pattern, caller);
                cells++;
                var actual = Classify(status, title, location);
                if (status >= 500 || actual != expected && !(expected == Outcome.Public && actual is Outcome.Allowed or Outcome.SignIn))
                {
                    failures.Add($"{row} as {caller}: expected {expected}, got {(int)status} {title} {location}");
                }
            }
        }
        output.WriteLine($"{cells} cells, {Rows.Count} rows x {Enum.GetValues<Caller>().Length} callers");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static Outcome Classify(int status, string? title, string? location) => status switch
    {
        401 or 403 => Outcome.Refused,
        404 when title == "Project not found" => Outcome.Hidden,
        302 when location?.StartsWith("/account/signin", StringComparison.Ordinal) == true => Outcome.SignIn,
        _ => Outcome.Allowed,
    };

    /// <summary>"METHOD /pattern" for every route endpoint but the static files (served as they are, to anyone).</summary>
    private List<string> AppEndpoints()
    {
        var source = fixture.App.Service<EndpointDataSource>();
        return source.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor>() is null)
            .Where(e => !(e.RoutePattern.RawText ?? "").StartsWith("/_blazor", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Where(m => m != "POST" || e.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is null)
                .Select(m => $"{m} {Normalize(e.RoutePattern.RawText)}"))
            .Distinct()
            .ToList();
    }

    private static string Normalize(string? pattern) => "/" + (pattern ?? "").TrimStart('/');

    private async Task<(int Status, string? Title, string? Location)> SendAsync(string method, string pattern, Caller caller)
    {
        var f = fixture;
        // A delete that is allowed deletes: those callers delete a project of Alice's made for the purpose, not P.
        var project = method == "DELETE" && pattern == "/api/v1/projects/{id}" && caller is Caller.Owner or Caller.Admin or Caller.ApiKey
            ? await f.CreateProjectAsync(f.AliceCookie, "to delete")
            : f.ProjectP;
        var path = pattern
            .Replace("{id}", project).Replace("{projectId}", f.ProjectP).Replace("{Id}", f.ProjectP)
            .Replace("{stage}", "rewrite").Replace("{stageName}", "rewrite").Replace("{sequence:int}", "1")
            .Replace("{shareId}", "noshare").Replace("{keyId}", "nokey").Replace("{Token}", f.ShareToken)
            .Replace("{culture}", "en").Replace("{**path:file}", "css/app.css").Replace("{documentName}", "v1").Replace("{what}", "film");
        string? cookie = null, bearer = null, query = null;
        switch (caller)
        {
            case Caller.OtherMember: cookie = f.BobCookie; break;
            case Caller.Owner: cookie = f.AliceCookie; break;
            case Caller.Admin: cookie = f.AdminCookie; break;
            case Caller.ApiKey: bearer = f.AliceKey; break;
            case Caller.RevokedKey: bearer = f.RevokedKey; break;
            case Caller.TokenForOtherProject: query = "access_token=" + Uri.EscapeDataString(f.TokenForQ); break;
            case Caller.ExpiredToken: query = "access_token=" + Uri.EscapeDataString(f.ExpiredTokenForP); break;
            case Caller.ShareLink: query = "share=" + Uri.EscapeDataString(f.ShareToken); break;
        }
        if (query is not null)
        {
            path += (path.Contains('?') ? "&" : "?") + query;
        }
        using var request = f.Request(new HttpMethod(method), path, cookie, bearer);
        request.Content = Body(method, pattern);
        if (method == "OPTIONS")
        {
            request.Headers.Add("Origin", "http://example.test");
            request.Headers.Add("Access-Control-Request-Method", "GET");
        }
        using var response = await f.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        string? title = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            title = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString();
        }
        return ((int)response.StatusCode, title, response.Headers.Location?.OriginalString);
    }

    /// <summary>A body the endpoint can read, so the answer is about access and not about a missing body.</summary>
    private static HttpContent? Body(string method, string pattern) => (method, pattern) switch
    {
        ("POST", "/auth/setup" or "/auth/signin") => new FormUrlEncodedContent(new Dictionary<string, string> { ["user_name"] = "nobody", ["password"] = "wrong-password" }),
        ("POST", "/api/v1/projects/") => Json("""{"name":"matrix","original_text":"A short story."}"""),
        ("POST", "/api/v1/users") => Json("""{"user_name":"","password":""}"""),
        ("POST", "/api/v1/keys/") => Json("""{"name":"matrix"}"""),
        ("PATCH", _) => Json("""{"narration":"New words."}"""),
        _ => null,
    };

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
