using System.Diagnostics;
using System.Net;

namespace StageStream.Tests.Infrastructure;

/// <summary>
/// The real app as a child process (<c>dotnet StageStream.Web.dll</c> from the test's output folder) on a free
/// loopback port, so a test can <c>kill -9</c> it and start another on the same data folder. Its output is
/// appended to <c>app.log</c> in the data folder, which a failing test prints.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;

    private AppProcess(Process process, Uri baseAddress, string logPath)
    {
        _process = process;
        BaseAddress = baseAddress;
        LogPath = logPath;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    public string LogPath { get; }
    public bool HasExited => _process.HasExited;
    public int ProcessId => _process.Id;

    /// <param name="startTimeout">How long it may take to answer /health/live (90 s by default).</param>
    public static async Task<AppProcess> StartAsync(string dataPath, IDictionary<string, string?>? settings = null, int? port = null, TimeSpan? startTimeout = null)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{port ?? FreePorts.Next()}");
        var logPath = Path.Combine(dataPath, "app.log");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "StageStream.Web.dll"));
        var values = new Dictionary<string, string?>
        {
            ["urls"] = baseAddress.ToString().TrimEnd('/'),
            ["Storage:DataPath"] = dataPath,
            ["Providers:Offline:TokensPerSecond"] = "0",
            ["Serilog:MinimumLevel:Default"] = "Information",
            // Tests compare what a client received token by token with what was published or replayed; on a busy
            // machine a client 30 ms behind would get merged tokens. Merging is tested where it is set (LeanStreamTests).
            ["Streaming:CoalesceAfterMilliseconds"] = "60000",
            ["Auth:Mode"] = "none",
            ["RateLimits:Enabled"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }
        foreach (var (key, value) in values.Where(pair => pair.Value is not null))
        {
            start.ArgumentList.Add($"--{key}={value}");
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var gate = new Lock();
        var open = 2;
        void Write(string? line)
        {
            lock (gate)
            {
                // The log is closed once both streams ended (a null line), not when the process exits: the last lines,
                // those of a graceful stop, may still be on their way then.
                if (line is null)
                {
                    if (--open == 0)
                    {
                        log.Dispose();
                    }
                }
                else if (open > 0)
                {
                    log.WriteLine(line);
                }
            }
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var app = new AppProcess(process, baseAddress, logPath);
        await app.WaitUntilLiveAsync(startTimeout ?? TimeSpan.FromSeconds(90));
        return app;
    }

    /// <summary>SIGKILL: no shutdown code runs, as when the machine loses power or the OOM killer strikes.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// SIGTERM, as <c>systemctl stop</c> or <c>docker stop</c> send it: a graceful stop. Returns how long the process
    /// took to exit; after <paramref name="timeout"/> it is killed and a <see cref="TimeoutException"/> thrown.
    /// </summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await KillAsync();
            throw new TimeoutException($"The app was still running {timeout.TotalSeconds} s after SIGTERM:\n{Log()}");
        }
        return clock.Elapsed;
    }

    public int ExitCode => _process.ExitCode;

    public string Log()
    {
        try
        {
            using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            return reader.ReadToEnd();
        }
        catch (IOException ex)
        {
            return $"(log unreadable: {ex.Message})";
        }
    }

    private async Task WaitUntilLiveAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Its last lines may still be on their way through the output readers: this wait ends when they are read.
                await _process.WaitForExitAsync();
                throw new InvalidOperationException($"The app exited with {_process.ExitCode} while starting:\n{Log()}");
            }
            try
            {
                using var response = await Client.GetAsync("/health/live");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The app did not answer /health/live within {timeout}:\n{Log()}");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            await KillAsync();
        }
        _process.Dispose();
    }
}
