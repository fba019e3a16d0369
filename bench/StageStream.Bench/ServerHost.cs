using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace StageStream.Bench;

/// <summary>
/// The server under test: a separate <c>dotnet StageStream.Web.dll</c> process (so its memory and CPU
/// are its own, not the client's), with a temp data folder, the bench endpoints on, and optionally a
/// redis-server of its own; or a server already running at a given URL.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    private readonly Process? _server;
    private readonly Process? _redis;
    private readonly string? _dataPath;

    private ServerHost(Uri baseAddress, Process? server, Process? redis, string? dataPath, string? logPath, string description)
    {
        BaseAddress = baseAddress;
        _server = server;
        _redis = redis;
        _dataPath = dataPath;
        LogPath = logPath;
        Description = description;
    }

    public Uri BaseAddress { get; }

    /// <summary>The server's process id when this host started it (then /proc is read for RSS and CPU).</summary>
    public int? ProcessId => _server?.Id;

    public string? LogPath { get; }
    public string Description { get; }

    public static ServerHost Remote(Uri url) => new(url, null, null, null, null, $"running server at {url}");

    /// <summary>Starts StageStream, or (<paramref name="bare"/>) the bare Kestrel fan-out server of this bench.</summary>
    public static async Task<ServerHost> StartAsync(BenchOptions options, Transport transport, TextWriter log, CancellationToken ct,
        bool bare = false, IReadOnlyList<string>? settings = null)
    {
        var dll = bare ? typeof(ServerHost).Assembly.Location : options.ServerDll ?? FindServerDll();
        var dataPath = Directory.CreateTempSubdirectory("stagestream-bench-").FullName;
        var logPath = Path.Combine(dataPath, "server.log");
        Process? redis = null;
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}/");
        List<string> args = bare
            ? [dll, "--bare-server", "--urls", baseAddress.ToString().TrimEnd('/')]
            : [
                dll,
                "--urls", baseAddress.ToString().TrimEnd('/'),
                "--Storage:DataPath=" + dataPath,
                "--Diagnostics:BenchEndpoints=true",
                // The fan-out benchmark opens thousands of streams from one address, with no accounts.
                "--Auth:Mode=none",
                "--RateLimits:Enabled=false",
                "--Serilog:MinimumLevel:Default=Warning",
                .. settings ?? [],
            ];
        try
        {
            if (transport == Transport.Redis)
            {
                var redisPort = FreePort();
                redis = StartRedis(options.RedisServer ?? "redis-server", redisPort, dataPath);
                await WaitForRedisAsync(redisPort, ct);
                args.Add($"--ConnectionStrings:Redis=127.0.0.1:{redisPort}");
            }
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.GetDirectoryName(dll)!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            foreach (var pair in options.ServerEnv)
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0)
                {
                    throw new ArgumentException($"--server-env wants KEY=VALUE, not '{pair}'.");
                }
                start.Environment[pair[..eq]] = pair[(eq + 1)..];
            }
            var server = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
            var logWriter = new StreamWriter(logPath) { AutoFlush = true };
            server.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (logWriter) { logWriter.WriteLine(e.Data); } } };
            server.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (logWriter) { logWriter.WriteLine(e.Data); } } };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            var host = new ServerHost(baseAddress, server, redis, dataPath, logPath,
                bare ? $"bare Kestrel fan-out server (pid {server.Id}, dotnet {Path.GetFileName(dll)} --bare-server)"
                    : $"dotnet {Path.GetFileName(dll)} (pid {server.Id}, {(transport == Transport.Redis ? "Redis transport" : "in-process bus")}) from {Path.GetDirectoryName(dll)}");
            try
            {
                await host.WaitHealthyAsync(ct);
            }
            catch
            {
                await host.DisposeAsync(keepData: true);
                throw;
            }
            await log.WriteLineAsync($"server: {host.Description}, log {logPath}");
            return host;
        }
        catch
        {
            Kill(redis);
            throw;
        }
    }

    private async Task WaitHealthyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (_server is { HasExited: true })
            {
                throw new InvalidOperationException($"The server exited with code {_server.ExitCode}; see {LogPath}.");
            }
            try
            {
                using var response = await http.GetAsync("health", ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            await Task.Delay(200, ct);
        }
        throw new TimeoutException($"The server did not answer /health within 90 s; see {LogPath}.");
    }

    /// <summary>The Web build next to this repo's sources: same configuration as the bench first.</summary>
    public static string FindServerDll()
    {
        var own = typeof(ServerHost).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var configurations = new[] { own, "Release", "Debug" }.Distinct();
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "StageStream.sln")))
            {
                continue;
            }
            foreach (var configuration in configurations)
            {
                var dll = Path.Combine(dir.FullName, "StageStream.Web", "bin", configuration, "net10.0", "StageStream.Web.dll");
                if (File.Exists(dll))
                {
                    return dll;
                }
            }
            throw new FileNotFoundException($"No StageStream.Web build under {dir.FullName}/StageStream.Web/bin: run `dotnet build -c Release` first, or pass --server-dll.");
        }
        throw new FileNotFoundException("Cannot find the repository (StageStream.sln) above the bench; pass --server-dll.");
    }

    private static Process StartRedis(string binary, int port, string dataPath)
    {
        var start = new ProcessStartInfo(binary)
        {
            WorkingDirectory = dataPath,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dataPath })
        {
            start.ArgumentList.Add(arg);
        }
        var redis = Process.Start(start) ?? throw new InvalidOperationException($"{binary} did not start.");
        redis.OutputDataReceived += (_, _) => { };
        redis.ErrorDataReceived += (_, _) => { };
        redis.BeginOutputReadLine();
        redis.BeginErrorReadLine();
        return redis;
    }

    private static async Task WaitForRedisAsync(int port, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port, ct);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, ct);
            }
        }
        throw new TimeoutException($"redis-server did not listen on port {port}.");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Resident memory of the started server (VmRSS), or null for a remote one.</summary>
    public long? ReadRssBytes()
    {
        if (_server is null)
        {
            return null;
        }
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_server.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    /// <summary>CPU time (user + system) of the started server from /proc/PID/stat, or null for a remote one.</summary>
    public TimeSpan? ReadCpuTime()
    {
        if (_server is null)
        {
            return null;
        }
        try
        {
            var stat = File.ReadAllText($"/proc/{_server.Id}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
        }
        catch (IOException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => DisposeAsync(keepData: false);

    private async ValueTask DisposeAsync(bool keepData)
    {
        Kill(_server);
        Kill(_redis);
        if (_server is not null)
        {
            await _server.WaitForExitAsync();
        }
        if (!keepData && _dataPath is not null)
        {
            try
            {
                Directory.Delete(_dataPath, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void Kill(Process? process)
    {
        if (process is null)
        {
            return;
        }
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }
}
