using System.Globalization;

namespace StageStream.Bench;

/// <summary>What one scenario run measured. Byte figures are of the server process.</summary>
public sealed record ScenarioResult
{
    public required string Scenario { get; init; }
    public required string Transport { get; init; }
    public required string Title { get; init; }

    public int ConnectionsWanted { get; init; }
    public int ConnectionsEstablished { get; init; }
    public int ConnectFailures { get; init; }
    public string? FirstConnectFailure { get; init; }
    public double ConnectSeconds { get; init; }

    public long EventsPublished { get; init; }
    public long EventsExpected { get; init; }
    public long EventsDelivered { get; init; }
    public double EventsPerSecond { get; init; }
    public double DriveSeconds { get; init; }
    public double DriverMaxLagMs { get; init; }

    public long LatencySamples { get; init; }
    public double LatencyP50Ms { get; init; }
    public double LatencyP95Ms { get; init; }
    public double LatencyP99Ms { get; init; }
    public double LatencyMaxMs { get; init; }

    /// <summary>For a broadcast: the latest publish-to-receive time of the broadcast over all clients.</summary>
    public double? BroadcastAllReceivedMs { get; init; }

    public long BaseRssBytes { get; init; }
    public long BaseHeapBytes { get; init; }
    public long IdleRssBytes { get; init; }
    public long BaseRssUncollectedBytes { get; init; }
    public long IdleRssUncollectedBytes { get; init; }
    public double RssUncollectedPerIdleConnectionBytes { get; init; }
    public long IdleHeapBytes { get; init; }
    public long BaseCommittedBytes { get; init; }
    public long IdleCommittedBytes { get; init; }
    public double RssPerIdleConnectionBytes { get; init; }
    public double HeapPerIdleConnectionBytes { get; init; }
    public long? StreamingRssBytes { get; init; }
    public long? AfterBroadcastRssBytes { get; init; }
    public long? AfterBroadcastHeapBytes { get; init; }
    public bool ServerGc { get; init; }
    public int Gen2Collections { get; init; }

    public double ServerCpuCores { get; init; }

    /// <summary>Server CPU time per delivered event: comparable between runs even on a busy machine.</summary>
    public double ServerCpuMicrosPerEvent { get; init; }
    public double ClientCpuCores { get; init; }

    public long Lost { get; init; }
    public long Duplicated { get; init; }
    public long OutOfOrder { get; init; }
    public long Unexpected { get; init; }
    public int ClientsWithProblems { get; init; }

    /// <summary>The most any single client lost, received twice, received out of order.</summary>
    public long WorstClientLost { get; init; }
    public long WorstClientDuplicated { get; init; }
    public long WorstClientOutOfOrder { get; init; }
    public int ClientsNotEnded { get; init; }
    public string? FirstClientFailure { get; init; }

    /// <summary>Messages received (a merged token message counts once), and how many of them were merged token messages.</summary>
    public long Messages { get; init; }
    public long MergedMessages { get; init; }

    /// <summary>Merged frames the server serialized for them: each is shared by every reader that sends it.</summary>
    public long MergedFramesBuilt { get; init; }

    /// <summary>The clients asked for lean token messages (<c>?full_text=none</c>).</summary>
    public bool Lean { get; init; }

    /// <summary>For the wire-bytes runs: the text's size, and the bytes of a token message in each form (average, last).</summary>
    public int? TextBytes { get; init; }
    public double? FullBytesPerToken { get; init; }
    public double? LeanBytesPerToken { get; init; }
    public int? FullLastTokenBytes { get; init; }
    public int? LeanLastTokenBytes { get; init; }

    public List<string> Targets { get; init; } = [];
    public bool Passed { get; init; }

    public bool IntegrityOk => Lost == 0 && Duplicated == 0 && OutOfOrder == 0 && Unexpected == 0 && ClientsNotEnded == 0
        && ConnectionsEstablished == ConnectionsWanted;

    public void Print(TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        string MiB(double bytes) => (bytes / 1048576).ToString("0.0", c) + " MiB";
        string KiB(double bytes) => (bytes / 1024).ToString("0.0", c) + " KiB";
        string Ms(double ms) => double.IsNaN(ms) ? "-" : ms.ToString("0.0", c);
        output.WriteLine($"== {Scenario} [{Transport}{(Lean ? ", lean" : "")}]: {Title}");
        output.WriteLine($"   connections   {ConnectionsEstablished}/{ConnectionsWanted} established in {ConnectSeconds.ToString("0.00", c)} s, {ConnectFailures} failed{(FirstConnectFailure is null ? "" : $" (first: {FirstConnectFailure})")}");
        output.WriteLine($"   events        {EventsPublished} published, {EventsDelivered}/{EventsExpected} delivered in {DriveSeconds.ToString("0.00", c)} s = {EventsPerSecond.ToString("N0", c)} events/s (driver max lag {Ms(DriverMaxLagMs)} ms)");
        output.WriteLine($"   messages      {Messages} received, {MergedMessages} of them merged token messages, from {MergedFramesBuilt} merged frames serialized by the server");
        output.WriteLine($"   latency ms    p50 {Ms(LatencyP50Ms)}  p95 {Ms(LatencyP95Ms)}  p99 {Ms(LatencyP99Ms)}  max {Ms(LatencyMaxMs)}  ({LatencySamples} samples)");
        if (BroadcastAllReceivedMs is { } all)
        {
            output.WriteLine($"   broadcast     all {ConnectionsEstablished} clients received it within {Ms(all)} ms of publishing");
        }
        output.WriteLine($"   memory idle   RSS {MiB(BaseRssBytes)} -> {MiB(IdleRssBytes)} = {KiB(RssPerIdleConnectionBytes)}/connection after a full GC ({MiB(BaseRssUncollectedBytes)} -> {MiB(IdleRssUncollectedBytes)} = {KiB(RssUncollectedPerIdleConnectionBytes)}/connection before it)");
        output.WriteLine($"   heap idle     {MiB(BaseHeapBytes)} -> {MiB(IdleHeapBytes)} = {KiB(HeapPerIdleConnectionBytes)}/connection; GC committed {MiB(BaseCommittedBytes)} -> {MiB(IdleCommittedBytes)} ({(ServerGc ? "server" : "workstation")} GC)");
        if (StreamingRssBytes is { } streaming)
        {
            output.WriteLine($"   memory live   RSS {MiB(streaming)} while streaming");
        }
        if (AfterBroadcastRssBytes is { } afterRss)
        {
            output.WriteLine($"   memory after  RSS {MiB(afterRss)} ({KiB((afterRss - BaseRssBytes) / (double)Math.Max(1, ConnectionsEstablished))}/connection), heap {MiB(AfterBroadcastHeapBytes ?? 0)} ({KiB(((AfterBroadcastHeapBytes ?? 0) - BaseHeapBytes) / (double)Math.Max(1, ConnectionsEstablished))}/connection) after the broadcast");
        }
        output.WriteLine($"   cpu           server {ServerCpuCores.ToString("0.00", c)} cores = {ServerCpuMicrosPerEvent.ToString("0.0", c)} us per delivered event, bench client {ClientCpuCores.ToString("0.00", c)} cores (of {Environment.ProcessorCount}); server gen2 GCs {Gen2Collections}");
        output.WriteLine($"   integrity     lost {Lost}, duplicated {Duplicated}, out-of-order {OutOfOrder}, unexpected {Unexpected} (worst client: {WorstClientLost}/{WorstClientDuplicated}/{WorstClientOutOfOrder}); clients with problems {ClientsWithProblems}, not ended {ClientsNotEnded}{(FirstClientFailure is null ? "" : $" (first: {FirstClientFailure})")}");
        foreach (var target in Targets)
        {
            output.WriteLine($"   target        {target}");
        }
        output.WriteLine($"   result        {(Passed ? "PASS" : "FAIL")}");
        output.WriteLine();
    }
}
