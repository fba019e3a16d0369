using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using StageStream.Core.Accounts;
using StageStream.Core.Persistence;
using StageStream.Web.Streaming;

namespace StageStream.Web.Access;

public static class AccessExtensions
{
    /// <summary>
    /// Accounts (ASP.NET Core Identity on the app's database), the schemes for API keys, stream tokens and share links,
    /// and Data Protection keys in the app's database (so sign-ins and tokens survive a restart and every host of a
    /// cluster accepts what another signed).
    /// </summary>
    public static void AddAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        builder.Services.AddDataProtection().SetApplicationName("StageStream")
            .PersistKeysToDbContext<StageStreamDbContext>();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<AccountStores>();
        builder.Services.AddSingleton<StreamTokens>();
        builder.Services.AddScoped<ViewerState>();
        if (!options.Enabled)
        {
            return;
        }
        builder.Services.AddAuthentication(Schemes.Select)
            .AddPolicyScheme(Schemes.Select, "API key, stream token, share link or cookie", policy => policy.ForwardDefaultSelector = Schemes.Pick)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(Schemes.ApiKey, null)
            .AddScheme<AuthenticationSchemeOptions, StreamTokenHandler>(Schemes.StreamToken, null)
            .AddScheme<AuthenticationSchemeOptions, ShareLinkHandler>(Schemes.Share, null)
            .AddIdentityCookies(cookies => cookies.ApplicationCookie!.Configure(cookie =>
            {
                cookie.Cookie.Name = "StageStream.Auth";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.LoginPath = "/account/signin";
                cookie.ExpireTimeSpan = TimeSpan.FromDays(14);
                cookie.SlidingExpiration = true;
            }));
        builder.Services.AddIdentityCore<AppUser>(identity =>
            {
                identity.Password.RequiredLength = 8;
                identity.Password.RequireNonAlphanumeric = false;
                identity.Password.RequireUppercase = false;
                identity.Password.RequireLowercase = false;
                identity.Password.RequireDigit = false;
                identity.Lockout.AllowedForNewUsers = true;
                identity.Lockout.MaxFailedAccessAttempts = options.MaxFailedSignIns;
                identity.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(options.LockoutMinutes);
                identity.User.RequireUniqueEmail = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<StageStreamDbContext>()
            .AddSignInManager();
        builder.Services.AddScoped<Accounts>();
    }

    /// <summary>Authentication, then <see cref="AccessGate"/>; with <c>Auth:Mode=none</c> only the gate's cross-site check.</summary>
    public static void UseAccess(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (options.Enabled)
        {
            app.UseAuthentication();
        }
        else if (Listening.BeyondLoopback(app))
        {
            app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogWarning(
                "Auth:Mode is 'none' and StageStream listens beyond loopback ({Urls}): anyone who reaches it can read, run and change every project. " +
                "Set Auth:Mode=accounts (the default) unless this network is trusted.", string.Join(", ", app.Urls)));
        }
        app.UseMiddleware<AccessGate>();
        // ASP.NET Core's authorization ([Authorize], RequireAuthorization) after routing, for what is not an event stream
        // (no stream endpoint carries such metadata).
        app.UseExceptForEventStreams(authorized => authorized.UseAuthorization());
    }
}

/// <summary>Whether the server's addresses reach beyond this machine.</summary>
public static class Listening
{
    public static bool BeyondLoopback(WebApplication app)
    {
        var urls = app.Configuration["urls"] ?? app.Configuration["Urls"] ?? app.Configuration["ASPNETCORE_URLS"] ?? "http://localhost:5000";
        return urls.Split(';', StringSplitOptions.RemoveEmptyEntries).Any(url =>
        {
            var host = url.Trim().Split("://").Last().Split('/')[0];
            host = host.StartsWith('[') ? host[..(host.IndexOf(']') + 1)] : host.Split(':')[0];
            return host is not ("localhost" or "127.0.0.1" or "[::1]");
        });
    }
}
