namespace Bridge.LoadTest.Measurement;

/// <summary>One change reaching one stream: which change, and how long after it was written.</summary>
internal readonly record struct Delivery(int Seq, float Milliseconds);

/// <summary>Deliveries of one phase of a run, from every stream's read loop. Thread-safe.</summary>
internal sealed class LatencySink
{
    private readonly object _gate = new();
    private List<Delivery> _deliveries = new(1 << 16);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _deliveries.Count;
            }
        }
    }

    public void Add(int seq, double milliseconds)
    {
        lock (_gate)
        {
            _deliveries.Add(new Delivery(seq, (float)milliseconds));
        }
    }

    public IReadOnlyList<Delivery> Snapshot()
    {
        lock (_gate)
        {
            return [.. _deliveries];
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _deliveries = new List<Delivery>(1 << 16);
        }
    }
}

/// <summary>Percentiles of a set of latencies, in milliseconds.</summary>
internal sealed record LatencyStats(int Count, double P50, double P90, double P99, double P999, double Max, double Mean)
{
    public static LatencyStats Empty { get; } = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    public static LatencyStats Of(IEnumerable<double> values)
    {
        var sorted = values.ToArray();
        if (sorted.Length == 0)
        {
            return Empty;
        }

        Array.Sort(sorted);
        return new LatencyStats(
            sorted.Length,
            Percentile(sorted, 0.50),
            Percentile(sorted, 0.90),
            Percentile(sorted, 0.99),
            Percentile(sorted, 0.999),
            sorted[^1],
            sorted.Average());
    }

    /// <summary>Nearest rank: the smallest value at or below which at least <paramref name="q"/> of the values lie.</summary>
    private static double Percentile(double[] sorted, double q)
    {
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
