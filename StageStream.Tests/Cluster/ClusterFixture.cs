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
    private readonly TempFolder _dataA = new();
    private readonly TempFolder _dataB = new();

    public PostgresServer Postgres { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public NginxServer Nginx { get; private set; } = null!;
    public TempFolder Media { get; } = new();
    public string PostgresConnectionString { get; private set; } = "";

    public AppProcess A { get; private set; } = null!;
    public AppProcess B { get; private set; } = null!;

    private readonly int _portA = AppProcess.FreePort();
    private readonly int _portB = AppProcess.FreePort();

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

    public async Task InitializeAsync()
    {
        var postgres = PostgresServer.StartAsync();
        var redis = RedisServer.StartAsync();
        Postgres = await postgres;
        Redis = await redis;
        PostgresConnectionString = await Postgres.CreateDatabaseAsync("stagestream");
        var a = AppProcess.StartAsync(_dataA.Path, Settings, _portA);
        var b = AppProcess.StartAsync(_dataB.Path, Settings, _portB);
        A = await a;
        B = await b;
        Nginx = await NginxServer.StartAsync([A.BaseAddress, B.BaseAddress]);
    }

    public IEnumerable<AppProcess> Instances => [A, B];

    /// <summary>Starts a killed instance again on its port and data folder (a new cluster member).</summary>
    public async Task RestartAsync(AppProcess killed)
    {
        if (killed == A)
        {
            await A.DisposeAsync();
            A = await AppProcess.StartAsync(_dataA.Path, Settings, _portA);
        }
        else
        {
            await B.DisposeAsync();
            B = await AppProcess.StartAsync(_dataB.Path, Settings, _portB);
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
