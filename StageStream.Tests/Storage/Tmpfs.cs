using System.Diagnostics;

namespace StageStream.Tests.Storage;

/// <summary>
/// A small tmpfs mounted by the test (which runs as root) as a data folder's disk, so it can really be filled or
/// made read-only. Unmounted on dispose.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>Null, with the reason, where mounting is refused (not root, no mount rights in this container).</summary>
    public static Tmpfs? TryMount(int megabytes, out string? refusal)
    {
        var path = Directory.CreateTempSubdirectory("stagestream-tmpfs-").FullName;
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0755", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            refusal = $"mount -t tmpfs exited with {code}: {output.Trim()}";
            return null;
        }
        refusal = null;
        return new Tmpfs(path);
    }

    public static Tmpfs Mount(int megabytes) =>
        TryMount(megabytes, out var refusal) ?? throw new InvalidOperationException($"Cannot mount a tmpfs: {refusal}");

    /// <summary>
    /// Turns the mount read-only. The kernel refuses while a file on it is open for writing, so it tries for a few
    /// seconds, calling <paramref name="closeWriters"/> before each try.
    /// </summary>
    public void RemountReadOnly(Action? closeWriters = null)
    {
        var result = (Code: -1, Output: "");
        for (var attempt = 0; attempt < 50 && result.Code != 0; attempt++)
        {
            if (attempt > 0)
            {
                Thread.Sleep(100);
            }
            closeWriters?.Invoke();
            result = Run("mount", "-o", "remount,ro", Path);
        }
        Check(result, "remount read-only");
    }

    public void RemountWritable() => Check(Run("mount", "-o", "remount,rw", Path), "remount read-write");

    /// <summary>Writes a file until the tmpfs has no space left; returns it, so deleting it frees the space.</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler.bin");
        using var file = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                file.Write(chunk);
            }
        }
        catch (IOException)
        {
            // Less than 64 KiB left: filled up in smaller pieces below.
        }
        foreach (var size in new[] { 4096, 512, 1 })
        {
            try
            {
                while (true)
                {
                    file.Write(chunk, 0, size);
                }
            }
            catch (IOException)
            {
            }
        }
        return filler;
    }

    public void Dispose()
    {
        var (code, _) = Run("umount", Path);
        if (code != 0)
        {
            Run("umount", "-l", Path);
        }
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Check((int Code, string Output) result, string what)
    {
        if (result.Code != 0)
        {
            throw new InvalidOperationException($"Could not {what}: {result.Output.Trim()}");
        }
    }

    private static (int Code, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{program} could not be run: {e.Message}");
        }
    }
}

/// <summary>
/// A fact that needs a tmpfs of its own. Where mounting is refused it is reported as skipped, with the reason
/// (xunit 2 has no skipping from inside a test, so the probe runs when the tests are discovered).
/// </summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Refusal = new(() =>
    {
        using var probe = Tmpfs.TryMount(1, out var refusal);
        return refusal;
    });

    public TmpfsFactAttribute()
    {
        if (Refusal.Value is { } refusal)
        {
            Skip = $"Needs a tmpfs mounted by the test (root with mount rights), and mounting was refused here: {refusal}";
        }
    }
}
