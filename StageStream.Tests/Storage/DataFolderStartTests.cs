using System.Diagnostics;
using StageStream.Bench;

namespace StageStream.Tests.Storage;

/// <summary>
/// The real app (<c>dotnet StageStream.Web.dll</c>, a child process) on a data folder it cannot use stops at once
/// with a non-zero exit code and one line naming the folder, what is wrong and what to do: no stack trace.
/// </summary>
public sealed class DataFolderStartTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stagestream-start-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task AFileWhereTheFolderShouldBeStopsStartUpWithOneLine()
    {
        var data = Path.Combine(_root, "data");
        await File.WriteAllTextAsync(data, "not a folder");

        var (code, lines) = await StartAppAsync(data);

        AssertOneClearLine(code, lines, data, "it is a file, not a folder");
    }

    [Fact]
    public async Task ADatabaseFileThatIsNoDatabaseStopsStartUpWithOneLine()
    {
        var data = Path.Combine(_root, "data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "stagestream.db"), new string('x', 8192));

        var (code, lines) = await StartAppAsync(data);

        AssertOneClearLine(code, lines, data, "its database stagestream.db cannot be opened");
        Assert.Contains("Restore the database file", lines[0]);
    }

    [TmpfsFact]
    public async Task AReadOnlyDataFolderStopsStartUpWithOneLine()
    {
        using var disk = Tmpfs.Mount(megabytes: 4);
        var data = Path.Combine(disk.Path, "data");
        Directory.CreateDirectory(Path.Combine(data, "media"));
        disk.RemountReadOnly();

        var (code, lines) = await StartAppAsync(data);

        AssertOneClearLine(code, lines, data, "it is read-only");
        Assert.Contains("Make it a folder the user running StageStream can write", lines[0]);
    }

    [TmpfsFact]
    public async Task HalfWrittenMediaLeftLongAgoAreRemovedAtStart()
    {
        using var disk = Tmpfs.Mount(megabytes: 4);
        var data = Path.Combine(disk.Path, "data");
        var media = Path.Combine(data, "media", "p1");
        Directory.CreateDirectory(media);
        await File.WriteAllTextAsync(Path.Combine(media, "clip-001-abcdef12.mp4.part"), "half a clip");
        File.SetLastWriteTimeUtc(Path.Combine(media, "clip-001-abcdef12.mp4.part"), DateTime.UtcNow - TimeSpan.FromMinutes(11));
        // Written a moment ago: another server sharing the folder may be writing it now.
        await File.WriteAllTextAsync(Path.Combine(media, "clip-002-abcdef12.mp4.part"), "a clip being written");
        await File.WriteAllTextAsync(Path.Combine(media, "image-001-abcdef12.png"), "a whole image");
        disk.RemountReadOnly();

        // Read-only, start-up refuses before touching anything; made writable again, it sweeps the partial file.
        var (code, _) = await StartAppAsync(data);
        Assert.NotEqual(0, code);
        Assert.True(File.Exists(Path.Combine(media, "clip-001-abcdef12.mp4.part")));
        disk.RemountWritable();

        await using var app = await Infrastructure.TestApp.StartAsync(dataPath: data);
        Assert.Equal(["clip-002-abcdef12.mp4.part", "image-001-abcdef12.png"], Directory.EnumerateFiles(media).Select(Path.GetFileName).Order());
    }

    private static void AssertOneClearLine(int code, List<string> lines, string data, string problem)
    {
        Assert.True(code != 0, $"The app exited with 0: {string.Join('\n', lines)}");
        Assert.True(lines.Count == 1, $"Expected one line, got {lines.Count}:\n{string.Join('\n', lines)}");
        Assert.Contains($"The data folder {data} (Storage:DataPath) cannot be used: {problem}", lines[0]);
        Assert.DoesNotContain("Exception", lines[0]);
    }

    /// <summary>Starts the app on <paramref name="data"/> and waits for it to exit; its output lines, stdout and stderr together.</summary>
    private static async Task<(int ExitCode, List<string> Lines)> StartAppAsync(string data)
    {
        var dll = ServerHost.FindServerDll();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { dll, "--urls", "http://127.0.0.1:0", "--Storage:DataPath=" + data })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var lines = new List<string>();
        process.OutputDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) { lock (lines) { lines.Add(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) { lock (lines) { lines.Add(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The app did not stop within 60 s on a data folder it cannot use:\n{string.Join('\n', lines)}");
        }
        process.WaitForExit(); // flushes the redirected output
        lock (lines)
        {
            return (process.ExitCode, [.. lines]);
        }
    }
}
