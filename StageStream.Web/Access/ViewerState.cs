using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace StageStream.Web.Access;

/// <summary>
/// Who a page's circuit (or a prerendering request) acts for: the signed-in user, or on a share link's page the link's
/// read-only view of its project.
/// </summary>
public sealed class ViewerState(AuthenticationStateProvider authentication, IOptions<AuthOptions> options)
{
    private string? _sharedProject;

    public bool AccountsEnabled => options.Value.Enabled;

    public async Task<Viewer> GetAsync()
    {
        if (!options.Value.Enabled)
        {
            return Viewer.Open;
        }
        var viewer = Viewer.From((await authentication.GetAuthenticationStateAsync()).User, accounts: true);
        return _sharedProject is not null && !viewer.SignedIn ? new Viewer(null, null, false, Via.Share, _sharedProject) : viewer;
    }

    /// <summary>This circuit shows a share link's project, signed out.</summary>
    public void ViewShared(string projectId) => _sharedProject = projectId;
}
