using System.Runtime.InteropServices;

namespace StageStream.Bench;

/// <summary>
/// Open-file limit of this process, inherited by the server it starts. Every connection is one
/// descriptor on each side; .NET already lifts the soft limit to the hard one at start-up, and this
/// raises the hard one too when it is still too low and the process may (root or CAP_SYS_RESOURCE).
/// </summary>
internal static partial class FileLimit
{
    private const int RlimitNoFile = 7; // Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);

    /// <summary>Makes sure <paramref name="needed"/> descriptors can be open; returns a warning when it cannot.</summary>
    public static string? Ensure(ulong needed)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            if (getrlimit(RlimitNoFile, out var limit) != 0 || limit.Current >= needed)
            {
                return null;
            }
            var raised = new RLimit { Current = needed, Max = Math.Max(needed, limit.Max) };
            if (setrlimit(RlimitNoFile, raised) == 0)
            {
                return null;
            }
            if (limit.Max > limit.Current && setrlimit(RlimitNoFile, new RLimit { Current = limit.Max, Max = limit.Max }) == 0 && limit.Max >= needed)
            {
                return null;
            }
            return $"warning: the open-file limit is {limit.Current} (hard {limit.Max}) and could not be raised to {needed}; " +
                $"run `ulimit -n {needed}` (as root for the hard limit) before the benchmark, or connections will fail.";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }
}
