using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Redis;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, without persistence (<c>--save "" --appendonly no</c>)
/// unless asked for an append-only file (<c>--appendonly yes --appendfsync always</c>), that a test can stop
/// and start again on the same port and folder. Also a tiny RESP client to inspect it.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("stagestream-redis-").FullName;
    private readonly bool _appendOnly;
    private Process? _process;

    private RedisServer(int port, bool appendOnly)
    {
        Port = port;
        _appendOnly = appendOnly;
    }

    public int Port { get; }

    /// <summary>Short timeouts so tests that stop the server do not wait long for the client to notice.</summary>
    public string ConnectionString => ConnectionStringFor(Port);

    public static string ConnectionStringFor(int port) => $"127.0.0.1:{port},connectTimeout=2000,syncTimeout=3000,asyncTimeout=3000";

    public bool IsRunning => _process is { HasExited: false };

    public static async Task<RedisServer> StartAsync(int? port = null, bool appendOnly = false)
    {
        var server = new RedisServer(port ?? FreePorts.Next(), appendOnly);
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            return;
        }
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
        };
        string[] persistence = _appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
        foreach (var arg in (string[])["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", .. persistence, "--daemonize", "no", "--dir", _dir, "--loglevel", "warning"])
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                if ((await CommandAsync("PING")).Contains("PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
            }
            if (_process.HasExited || DateTime.UtcNow >= deadline)
            {
                throw new InvalidOperationException($"redis-server did not start on port {Port}.");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Kills the server (SIGKILL), as a crash would: without persistence, everything it held is gone.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Sends one command and returns the raw RESP reply.</summary>
    public async Task<string> CommandAsync(params string[] args)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        var request = new StringBuilder($"*{args.Length}\r\n");
        foreach (var arg in args)
        {
            request.Append($"${Encoding.UTF8.GetByteCount(arg)}\r\n{arg}\r\n");
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
        // Replies used here are small: read until the socket is quiet.
        var buffer = new byte[1 << 16];
        var reply = new StringBuilder();
        do
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }
            reply.Append(Encoding.UTF8.GetString(buffer, 0, read));
            await Task.Delay(20);
        }
        while (client.Available > 0);
        return reply.ToString();
    }

    /// <summary>CLIENT LIST, one dictionary of fields per connection.</summary>
    public async Task<List<Dictionary<string, string>>> ClientListAsync()
    {
        var reply = await CommandAsync("CLIENT", "LIST");
        return [.. reply.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("id=", StringComparison.Ordinal))
            .Select(line => line.Split(' ')
                .Select(field => field.Split('=', 2))
                .Where(pair => pair.Length == 2)
                .ToDictionary(pair => pair[0], pair => pair[1]))];
    }

    /// <summary>An integer reply (<c>:N</c>), for XLEN and the like.</summary>
    public async Task<long> IntegerAsync(params string[] args)
    {
        var reply = await CommandAsync(args);
        return long.Parse(reply.TrimStart(':').Trim());
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
