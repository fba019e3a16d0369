using System.Globalization;

namespace StageStream.Bench;

/// <summary>Which event transport the server uses during a run.</summary>
public enum Transport { InProcess, Redis }

/// <summary>One measured situation: projects x subscribers, and what the driver publishes to them.</summary>
/// <param name="Name">Short name used in the report (a, b, c, smoke-stream, ...).</param>
/// <param name="Projects">Projects streamed to.</param>
/// <param name="SubscribersPerProject">SSE connections per project.</param>
/// <param name="TokensPerSecond">Token rate per project.</param>
/// <param name="Tokens">Tokens per project.</param>
/// <param name="End">Whether the run ends with <c>done</c> (streams then close with <c>stream_end</c>); a broadcast keeps them open to measure memory after it.</param>
/// <param name="Broadcast">Report the time until every client received the one token, instead of a streaming rate.</param>
public sealed record Scenario(string Name, string Title, int Projects, int SubscribersPerProject, double TokensPerSecond, int Tokens, bool End, bool Broadcast)
{
    /// <summary>The content of every token (3 bytes in UTF-8: a merged message's content is a multiple of it).</summary>
    public string TokenText { get; init; } = "词";

    public int Connections => Projects * SubscribersPerProject;

    public static Scenario A(double seconds) => new("a", "1 project x 1,000 subscribers, 50 tokens/s", 1, 1000, 50, (int)(50 * seconds), End: true, Broadcast: false);

    public static Scenario B(int connections) => new("b", $"{connections:N0} idle subscribers, then one broadcast", 1, connections, 1, 1, End: false, Broadcast: true);

    public static Scenario D(double seconds) => new("d", "1 project x 5,000 subscribers, 50 tokens/s", 1, 5000, 50, (int)(50 * seconds), End: true, Broadcast: false);

    public static Scenario C(double seconds) => new("c", "100 projects x 10 subscribers, 30 tokens/s each", 100, 10, 30, (int)(30 * seconds), End: true, Broadcast: false);

    public static Scenario SmokeStream { get; } = new("smoke-stream", "2 projects x 5 subscribers, 40 tokens/s", 2, 5, 40, 60, End: true, Broadcast: false);

    public static Scenario SmokeBroadcast { get; } = new("smoke-broadcast", "50 idle subscribers, then one broadcast", 1, 50, 1, 1, End: false, Broadcast: true);
}

/// <summary>Command line of the benchmark; see <see cref="Usage"/>.</summary>
public sealed class BenchOptions
{
    public List<string> Scenarios { get; } = [];
    public List<Transport> Transports { get; } = [];
    public bool Smoke { get; set; }
    public Uri? Url { get; set; }
    public string? ServerDll { get; set; }
    public List<string> ServerEnv { get; } = [];
    public string? RedisServer { get; set; } = "redis-server";
    public double Seconds { get; set; } = 10;
    public int BroadcastConnections { get; set; } = 10_000;
    public int? Projects { get; set; }
    public int? Subscribers { get; set; }
    public double? Rate { get; set; }
    public int ConnectConcurrency { get; set; } = 100;
    public string? JsonPath { get; set; }
    public bool Help { get; set; }

    /// <summary>Run each scenario against the bare Kestrel fan-out server too, right after StageStream (in-process bus only).</summary>
    public bool Bare { get; set; }

    /// <summary>Clients ask for the lean form (<c>?full_text=none</c>).</summary>
    public bool Lean { get; set; }

    /// <summary>Measure the bytes per token on the wire, both forms, for a 2 KB and a 30 KB text, instead of the scenarios.</summary>
    public bool WireBytes { get; set; }

    /// <summary>Stream a little through every path before measuring (off with --no-warm-up).</summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>Seconds to hold the idle connections open after measuring them, to profile the server (dotnet-gcdump, dotnet-counters).</summary>
    public double PauseIdleSeconds { get; set; }

    public const string Usage = """
        StageStream fan-out benchmark: starts the server (or targets --url), opens SSE connections,
        drives token streams through the real publishing path and reports delivery, latency, memory, CPU.

        Usage: dotnet run -c Release --project bench/StageStream.Bench -- [options]

          --scenario a|b|c|d|all (repeatable; default a, b, c; all adds d)
                                 a: 1 project x 1,000 subscribers, 50 tokens/s
                                 b: 10,000 idle subscribers, then one broadcast
                                 c: 100 projects x 10 subscribers, 30 tokens/s each
                                 d: 1 project x 5,000 subscribers, 50 tokens/s
          --bare                 also run each scenario against a bare Kestrel fan-out server (serialize once, a channel
                                 per subscriber, write and flush per event), started from this program, in-process bus only
          --lean                 clients ask for lean token messages (?full_text=none)
          --wire-bytes           bytes per token on the wire, default and lean form, for a 2 KB and a 30 KB text
          --redis                use the Redis transport (starts redis-server on a free port)
          --both                 run each scenario with the in-process bus and with Redis
          --smoke                small, few-second runs of a streaming and a broadcast scenario
          --url URL              target a running server (started with Diagnostics:BenchEndpoints=true)
          --server-dll PATH      StageStream.Web.dll to start (default: the repo's Release, else Debug build)
          --server-env K=V       environment variable for the server process (repeatable), e.g. DOTNET_gcServer=0
          --redis-server PATH    redis-server binary (default: from PATH)
          --seconds S            streaming time of a and c (default 10)
          --connections N        subscribers of b (default 10000)
          --projects N, --subscribers N, --rate R   override the scenario's shape
          --connect-concurrency N  connections being opened at once (default 100)
          --json PATH            also write the results as JSON
          --pause-idle S         hold the idle connections S seconds before driving (to attach dotnet-gcdump/-counters)
          --no-warm-up           measure from a cold start (by default 2 s of streaming first warm the JIT)
        """;

    public IReadOnlyList<Scenario> SelectedScenarios()
    {
        if (Smoke)
        {
            return [Scenario.SmokeStream, Scenario.SmokeBroadcast];
        }
        var names = Scenarios.Count == 0 ? ["a", "b", "c"] : Scenarios.Contains("all") ? ["a", "b", "c", "d"] : Scenarios;
        return [.. names.Distinct().Select(name => Shape(name switch
        {
            "a" => Scenario.A(Seconds),
            "b" => Scenario.B(BroadcastConnections),
            "c" => Scenario.C(Seconds),
            "d" => Scenario.D(Seconds),
            _ => throw new ArgumentException($"Unknown scenario '{name}': use a, b, c, d or all."),
        }))];
    }

    private Scenario Shape(Scenario scenario)
    {
        var rate = Rate ?? scenario.TokensPerSecond;
        return scenario with
        {
            Projects = Projects ?? scenario.Projects,
            SubscribersPerProject = Subscribers ?? scenario.SubscribersPerProject,
            TokensPerSecond = rate,
            Tokens = scenario.Broadcast ? 1 : (int)Math.Round(rate * Seconds),
            Title = Projects is null && Subscribers is null && Rate is null ? scenario.Title
                : $"{Projects ?? scenario.Projects} project(s) x {Subscribers ?? scenario.SubscribersPerProject} subscribers, {rate} tokens/s",
        };
    }

    public IReadOnlyList<Transport> SelectedTransports() => Transports.Count == 0 ? [Transport.InProcess] : [.. Transports.Distinct()];

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            double Double() => double.Parse(Value(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--scenario": options.Scenarios.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "--redis": options.Transports.Add(Transport.Redis); break;
                case "--both": options.Transports.AddRange([Transport.InProcess, Transport.Redis]); break;
                case "--smoke": options.Smoke = true; break;
                case "--url": options.Url = new Uri(Value()); break;
                case "--server-dll": options.ServerDll = Value(); break;
                case "--server-env": options.ServerEnv.Add(Value()); break;
                case "--redis-server": options.RedisServer = Value(); break;
                case "--seconds": options.Seconds = Double(); break;
                case "--connections": options.BroadcastConnections = Int(); break;
                case "--projects": options.Projects = Int(); break;
                case "--subscribers": options.Subscribers = Int(); break;
                case "--rate": options.Rate = Double(); break;
                case "--connect-concurrency": options.ConnectConcurrency = Int(); break;
                case "--json": options.JsonPath = Value(); break;
                case "--no-warm-up": options.WarmUp = false; break;
                case "--pause-idle": options.PauseIdleSeconds = Double(); break;
                case "--bare": options.Bare = true; break;
                case "--lean": options.Lean = true; break;
                case "--wire-bytes": options.WireBytes = true; break;
                case "-h" or "--help": options.Help = true; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'. Run with --help.");
            }
        }
        if (options.Url is not null && options.Transports.Contains(Transport.Redis) && options.Transports.Contains(Transport.InProcess))
        {
            throw new ArgumentException("--both needs to start the server itself; with --url, the server's own transport is used.");
        }
        return options;
    }
}
