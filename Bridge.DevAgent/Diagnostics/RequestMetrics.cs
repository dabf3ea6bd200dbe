namespace Bridge.DevAgent.Diagnostics;

/// <summary>Request-level counters; connection counters live with the connection gate.</summary>
internal sealed class RequestMetrics
{
    private readonly long[] _byKind = new long[Enum.GetValues<RequestKind>().Length];
    private readonly long[] _bytesByKind = new long[Enum.GetValues<RequestKind>().Length];
    private long _tooManyRequests;
    private int _blocking;

    public void CountRequest(RequestKind kind) => Interlocked.Increment(ref _byKind[(int)kind]);

    /// <summary>A JSON body of <paramref name="bytes"/> bytes was written, before any compression.</summary>
    public void CountResponseBytes(RequestKind kind, long bytes) => Interlocked.Add(ref _bytesByKind[(int)kind], bytes);

    public void CountTooManyRequests() => Interlocked.Increment(ref _tooManyRequests);

    public void BlockingStarted() => Interlocked.Increment(ref _blocking);

    public void BlockingEnded() => Interlocked.Decrement(ref _blocking);

    public long TooManyRequests => Interlocked.Read(ref _tooManyRequests);

    public int BlockingInFlight => Volatile.Read(ref _blocking);

    public IReadOnlyDictionary<string, long> RequestsByKind() => ByKind(_byKind);

    public IReadOnlyDictionary<string, long> ResponseBytesByKind() => ByKind(_bytesByKind);

    private static Dictionary<string, long> ByKind(long[] counters)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var kind in Enum.GetValues<RequestKind>())
        {
            result[kind.ToString()] = Interlocked.Read(ref counters[(int)kind]);
        }

        return result;
    }
}
