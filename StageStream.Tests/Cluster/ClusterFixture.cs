using StageStream.Tests.Infrastructure;
using StageStream.Tests.Redis;

namespace StageStream.Tests.Cluster;

/// <summary>
/// Several hosts as the tests can have them on one machine, shared by the tests of a class: a real PostgreSQL and a
/// real redis-server, a shared media folder, two app processes (A and B) each with its own data folder, started at
/// the same moment on an empty database (both migrate, both provision Quartz's tables), and nginx in front of both
/// with the shipped configuration. Every process is on a free loopback port.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>The cluster tests run alone: four servers and two app processes at once would slow every other test down, and be slowed by them.</summary>
    public const string Collection = "Cluster";

    private readonly TempFolder _dataA = new();
    private readonly TempFolder _dataB = new();

    public PostgresServer Postgres { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public NginxServer Nginx { get; private set; } = null!;
    public TempFolder Media { get; } = new();
    public string PostgresConnectionString { get; private set; } = "";

    public AppProcess A { get; private set; } = null!;
    public AppProcess B { get; private set; } = null!;

    private readonly int _portA = FreePorts.Next();
    private readonly int _portB = FreePorts.Next();

    public Dictionary<string, string?> Settings => new()
    {
        ["ConnectionStrings:Postgres"] = PostgresConnectionString,
        ["ConnectionStrings:Redis"] = Redis.ConnectionString,
        ["Storage:MediaRoot"] = Media.Path,
        // A dead instance's jobs are taken over about 3 s after its last check-in.
        ["Pipeline:ClusterCheckinSeconds"] = "1",
        ["Pipeline:ClusterCheckinMisfireSeconds"] = "2",
        ["Pipeline:Width"] = "640",
        ["Pipeline:Height"] = "360",
        ["Pipeline:ShotConcurrency"] = "1",
        ["Providers:Offline:TokensPerSecond"] = "100",
    };

    /// <summary>Two .NET processes starting at once on a loaded machine (the whole suite runs beside them) may be slow.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    public async Task InitializeAsync()
    {
        var postgres = PostgresServer.StartAsync();
        var redis = RedisServer.StartAsync();
        Task<AppProcess>? a = null;
        Task<AppProcess>? b = null;
        try
        {
            Postgres = await postgres;
            Redis = await redis;
            PostgresConnectionString = await Postgres.CreateDatabaseAsync("stagestream");
            a = AppProcess.StartAsync(_dataA.Path, Settings, _portA, StartTimeout);
            b = AppProcess.StartAsync(_dataB.Path, Settings, _portB, StartTimeout);
            await Task.WhenAll(a, b);
            (A, B) = (a.Result, b.Result);
            Nginx = await NginxServer.StartAsync([A.BaseAddress, B.BaseAddress]);
        }
        catch
        {
            // xunit does not dispose a fixture whose start failed: nothing started may outlive the test run.
            await Task.WhenAll(new Task?[] { postgres, redis, a, b }.OfType<Task>().Select(t => t.ContinueWith(_ => { })));
            (A, B) = (a is { IsCompletedSuccessfully: true } ? a.Result : null!, b is { IsCompletedSuccessfully: true } ? b.Result : null!);
            Postgres = postgres.IsCompletedSuccessfully ? postgres.Result : null!;
            Redis = redis.IsCompletedSuccessfully ? redis.Result : null!;
            await DisposeAsync();
            throw;
        }
    }

    public IEnumerable<AppProcess> Instances => [A, B];

    /// <summary>Starts a killed instance again on its port and data folder (a new cluster member).</summary>
    public async Task RestartAsync(AppProcess killed)
    {
        if (killed == A)
        {
            await A.DisposeAsync();
            A = await AppProcess.StartAsync(_dataA.Path, Settings, _portA, StartTimeout);
        }
        else
        {
            await B.DisposeAsync();
            B = await AppProcess.StartAsync(_dataB.Path, Settings, _portB, StartTimeout);
        }
    }

    public AppProcess Other(AppProcess instance) => instance == A ? B : A;

    public string Logs() => $"--- A ---\n{A.Log()}\n--- B ---\n{B.Log()}";

    public async Task DisposeAsync()
    {
        if (Nginx is not null)
        {
            await Nginx.DisposeAsync();
        }
        foreach (var app in new[] { A, B })
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
        _dataA.Dispose();
        _dataB.Dispose();
        Media.Dispose();
    }
}

/// <summary>Runs <see cref="ClusterTests"/> after the parallel tests, on its own.</summary>
[CollectionDefinition(ClusterFixture.Collection, DisableParallelization = true)]
public sealed class ClusterCollection;
