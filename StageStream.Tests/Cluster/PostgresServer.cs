using System.Diagnostics;
using Npgsql;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Cluster;

/// <summary>
/// A real PostgreSQL server (Debian's postgresql package) in a new cluster (<c>initdb</c>) in a temporary folder, on
/// a free loopback port with its socket in that folder, run as the unprivileged <c>postgres</c> user when the tests
/// run as root. Stopped (immediate shutdown) and removed when disposed.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>The newest installed PostgreSQL's programs (Debian keeps each major version under /usr/lib/postgresql).</summary>
    public static string Bin { get; } = Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "postgres")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var major) ? major : 0).FirstOrDefault() ?? "/usr/lib/postgresql/15/bin"
        : "/usr/lib/postgresql/15/bin";

    private readonly string _folder;
    private readonly Process _process;
    private int _disposed;

    private PostgresServer(string folder, Process process, int port)
    {
        _folder = folder;
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=5;Command Timeout=30";

    /// <param name="durable">False turns fsync off (tests never crash the database itself); true keeps PostgreSQL's defaults, for measurements.</param>
    public static async Task<PostgresServer> StartAsync(bool durable = false)
    {
        var folder = Directory.CreateTempSubdirectory("stagestream-pg-").FullName;
        var data = Path.Combine(folder, "data");
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", "postgres:postgres", folder);
        }
        await RunAsync(Command(asRoot, "initdb"), [.. Prefix(asRoot, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
        var port = FreePorts.Next();
        var start = new ProcessStartInfo(Command(asRoot, "postgres")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] settings = durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"];
        foreach (var arg in (string[])[.. Prefix(asRoot, "postgres"), "-D", data, "-p", port.ToString(), "-k", folder, "-c", "listen_addresses=127.0.0.1",
            "-c", "max_connections=200", .. settings])
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("postgres did not start.");
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PostgresServer(folder, process, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(server.ConnectionString("postgres"));
                await connection.OpenAsync();
                return server;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (NpgsqlException)
            {
                await server.DisposeAsync();
                lock (log)
                {
                    throw new InvalidOperationException($"PostgreSQL did not start on port {port}:\n{log}");
                }
            }
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>As root: setpriv (which execs, so the child is postgres itself) as the postgres user.</summary>
    private static string Command(bool asRoot, string program) => asRoot ? "setpriv" : Path.Combine(Bin, program);

    private static string[] Prefix(bool asRoot, string program) => asRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", Path.Combine(Bin, program)] : [];

    private static async Task RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    /// <summary>Stops the server (a test may do so in its middle) and removes its folder; once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (!_process.HasExited)
        {
            // SIGQUIT: PostgreSQL's immediate shutdown, which also ends its backends.
            await RunAsync("kill", "-QUIT", _process.Id.ToString());
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
