namespace StageStream.Web.Access;

/// <summary>
/// Cross-site request forgery: a request that changes something and comes from a browser on another site (by
/// <c>Sec-Fetch-Site</c>, or failing that <c>Origin</c>) is refused, whatever it carries, unless it sends an API key,
/// which a forging page cannot. Clients that are not browsers send neither header.
/// </summary>
public static class CrossSite
{
    public static bool Refuses(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        {
            return false;
        }
        if (request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return site is not ("same-origin" or "none");
        }
        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
    }
}
