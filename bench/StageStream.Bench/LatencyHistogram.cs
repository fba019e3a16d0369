namespace StageStream.Bench;

/// <summary>
/// Publish-to-receive latencies of all clients, in 0.1 ms buckets up to 30 s: recording is one
/// interlocked increment, so thousands of readers share it without a lock or a list per client.
/// </summary>
public sealed class LatencyHistogram
{
    private const double BucketMs = 0.1;
    private readonly long[] _buckets = new long[300_000];
    private long _count;
    private long _maxMicros;

    public long Count => Interlocked.Read(ref _count);

    public double MaxMs => Interlocked.Read(ref _maxMicros) / 1000.0;

    public void Record(double ms)
    {
        ms = Math.Max(0, ms);
        var bucket = (int)Math.Min(_buckets.Length - 1, ms / BucketMs);
        Interlocked.Increment(ref _buckets[bucket]);
        Interlocked.Increment(ref _count);
        var micros = (long)(ms * 1000);
        var max = Interlocked.Read(ref _maxMicros);
        while (micros > max)
        {
            var seen = Interlocked.CompareExchange(ref _maxMicros, micros, max);
            if (seen == max)
            {
                break;
            }
            max = seen;
        }
    }

    /// <summary>The latency at or below which <paramref name="percent"/> of the samples fall (upper edge of the bucket).</summary>
    public double Percentile(double percent)
    {
        var count = Count;
        if (count == 0)
        {
            return double.NaN;
        }
        var rank = (long)Math.Ceiling(count * percent / 100.0);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += Interlocked.Read(ref _buckets[i]);
            if (seen >= rank)
            {
                return Math.Min((i + 1) * BucketMs, MaxMs);
            }
        }
        return MaxMs;
    }
}
