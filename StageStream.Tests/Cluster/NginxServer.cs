using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using StageStream.Tests.Infrastructure;

namespace StageStream.Tests.Cluster;

/// <summary>
/// A real nginx (Debian's package) as a child process with the shipped <c>deploy/nginx.conf</c>, changed only where
/// a deployment changes it: the port it listens on and the instances in its upstream blocks. Its pid file, logs and
/// temporary files live in a temporary prefix folder.
/// </summary>
public sealed partial class NginxServer : IAsyncDisposable
{
    private readonly TempFolder _prefix;
    private readonly Process _process;

    private NginxServer(TempFolder prefix, Process process, int port)
    {
        _prefix = prefix;
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }

    public string ErrorLog => Path.Combine(_prefix.Path, "error.log");

    /// <summary>The shipped configuration, copied next to the tests.</summary>
    public static string ShippedConfig => Path.Combine(AppContext.BaseDirectory, "deploy", "nginx.conf");

    public static async Task<NginxServer> StartAsync(IReadOnlyList<Uri> instances)
    {
        var prefix = new TempFolder();
        var port = FreePorts.Next();
        var servers = string.Concat(instances.Select(i => $"        server {i.Host}:{i.Port} max_fails=1 fail_timeout=5s;\n"));
        var config = File.ReadAllText(ShippedConfig);
        config = UpstreamServers().Replace(config, servers);
        config = Listen().Replace(config, $"listen 127.0.0.1:{port};");
        // Temporary files in the prefix rather than the system's folders.
        config = config.Replace("http {", $"http {{\n    client_body_temp_path {prefix.Path}/body;\n    proxy_temp_path {prefix.Path}/proxy;\n    access_log {prefix.Path}/access.log;");
        var file = Path.Combine(prefix.Path, "nginx.conf");
        File.WriteAllText(file, config);

        var start = new ProcessStartInfo("/usr/sbin/nginx") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var user = Environment.UserName == "root" ? " user root;" : "";
        foreach (var arg in (string[])["-p", prefix.Path, "-c", file, "-g", $"daemon off; pid {prefix.Path}/nginx.pid; error_log {prefix.Path}/error.log;{user}"])
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new NginxServer(prefix, process, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                var log = File.Exists(server.ErrorLog) ? File.ReadAllText(server.ErrorLog) : "";
                await server.DisposeAsync();
                throw new InvalidOperationException($"nginx did not start on port {port}: {log}");
            }
        }
    }

    [GeneratedRegex(@"(^\s*server\s+[\d.]+:\d+[^;]*;\n)+", RegexOptions.Multiline)]
    private static partial Regex UpstreamServers();

    [GeneratedRegex(@"listen\s+\d+;")]
    private static partial Regex Listen();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _prefix.Dispose();
    }
}
