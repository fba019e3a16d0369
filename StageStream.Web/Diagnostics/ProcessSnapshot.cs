using System.Diagnostics;
using System.Runtime;
using Microsoft.AspNetCore.Http.HttpResults;
using StageStream.Core.Events;

namespace StageStream.Web.Diagnostics;

/// <summary>The server's memory and CPU as the benchmark reports them per connection.</summary>
public sealed record ProcessSnapshotDto(
    long RssBytes,
    long GcTotalBytes,
    long GcHeapSizeBytes,
    long GcCommittedBytes,
    long GcFragmentedBytes,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections,
    bool ServerGc,
    int Subscribers,
    int Threads,
    double CpuMs,
    long MergedFramesBuilt);

internal static class ProcessSnapshot
{
    /// <summary>With <c>collect=true</c>, a full blocking collection first, so heap figures are live objects rather than garbage not yet collected.</summary>
    public static Ok<ProcessSnapshotDto> Take(EventHub hub, bool? collect)
    {
        if (collect == true)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
        var info = GC.GetGCMemoryInfo();
        using var process = Process.GetCurrentProcess();
        return TypedResults.Ok(new ProcessSnapshotDto(
            ReadRss() ?? process.WorkingSet64,
            GC.GetTotalMemory(forceFullCollection: false),
            info.HeapSizeBytes,
            info.TotalCommittedBytes,
            info.FragmentedBytes,
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            GCSettings.IsServerGC,
            hub.SubscriberCount,
            process.Threads.Count,
            process.TotalProcessorTime.TotalMilliseconds,
            DeliveredEvent.MergedFramesBuilt));
    }

    /// <summary>VmRSS of /proc/self/status: resident memory as the kernel counts it (Linux only).</summary>
    private static long? ReadRss()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kib = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kib, System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }
}
