using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using StageStream.Web.Access;
using StageStream.Web.Streaming;

namespace StageStream.Web.Edge;

/// <summary>Requests per window (a minute) for each limited kind (section <c>RateLimits</c>), per user, API key or address.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public bool Enabled { get; set; } = true;

    [Range(1, 3600)]
    public int WindowSeconds { get; set; } = 60;

    [Range(1, 100_000)]
    public int SignInPerMinute { get; set; } = 10;

    [Range(1, 100_000)]
    public int CreatePerMinute { get; set; } = 30;

    [Range(1, 100_000)]
    public int RunPerMinute { get; set; } = 60;

    [Range(1, 100_000)]
    public int StreamsPerMinute { get; set; } = 300;
}

/// <summary>
/// ASP.NET Core's rate limiter on signing in, creating a project, starting a run and opening a stream: a fixed window
/// (a minute unless set) for each user (or API key, or for the signed-out, address). Beyond it, 429 problem+json with <c>Retry-After</c>.
/// </summary>
public static class RateLimits
{
    public const string SignIn = "sign_in";
    public const string Create = "create";
    public const string Run = "run";
    public const string Streams = "streams";

    public static void AddRateLimits(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var kind = options.Enabled ? KindOf(context) : null;
                if (kind is null)
                {
                    return RateLimitPartition.GetNoLimiter("");
                }
                var limit = kind switch { SignIn => options.SignInPerMinute, Create => options.CreatePerMinute, Run => options.RunPerMinute, _ => options.StreamsPerMinute };
                return RateLimitPartition.GetFixedWindowLimiter($"{kind}|{Who(context)}", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limit, Window = TimeSpan.FromSeconds(options.WindowSeconds), QueueLimit = 0, AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)) : options.WindowSeconds;
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"Too many {Describe(KindOf(context))} from you in {options.WindowSeconds} s; try again in {seconds} s.");
            };
        });
    }

    /// <summary>Which limit a request counts against, by its endpoint's route; null for the unlimited.</summary>
    public static string? KindOf(HttpContext context)
    {
        if (StreamingExtensions.IsEventStream(context))
        {
            return Streams;
        }
        if (!HttpMethods.IsPost(context.Request.Method) || context.GetEndpoint() is not RouteEndpoint endpoint)
        {
            return null;
        }
        var pattern = endpoint.RoutePattern.RawText?.TrimEnd('/') ?? "";
        return pattern switch
        {
            "/auth/signin" => SignIn,
            "/api/v1/projects" => Create,
            _ when pattern.EndsWith("/run", StringComparison.Ordinal) => Run,
            _ => null,
        };
    }

    private static string Who(HttpContext context) =>
        context.User.FindFirstValue(Via.KeyClaim) is { } key ? "key:" + key
        : context.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } user ? "user:" + user
        : "ip:" + context.Connection.RemoteIpAddress;

    private static string Describe(string? kind) => kind switch
    {
        SignIn => "sign-in attempts",
        Create => "new projects",
        Run => "runs started",
        _ => "streams opened",
    };
}
