using System.Globalization;
using System.Text;

namespace Bridge.Core.Observability;

/// <summary>
/// A latency histogram recorded on the push path: one interlocked add per bucket and one for the sum, no lock and
/// no label lookup, written out in the Prometheus text format at scrape time. The per-response and per-ACK
/// latencies are recorded tens of thousands of times a second; through the meter exporter they cost more than
/// the writes they measure.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Bucket upper bounds in seconds, from half a millisecond to Consul's longest blocking query.</summary>
    public static IReadOnlyList<double> Bounds { get; } = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 150, 330, 660];

    private readonly long[] _counts = new long[Bounds.Count + 1];
    private long _sumNanoseconds;

    public LatencyHistogram(string name, string help)
    {
        Name = name;
        Help = help;
    }

    /// <summary>The exported name, with the <c>bridge_</c> prefix of every bridge metric.</summary>
    public string Name { get; }

    public string Help { get; }

    public long Count
    {
        get
        {
            long count = 0;
            foreach (ref readonly var bucket in _counts.AsSpan())
            {
                count += Volatile.Read(in bucket);
            }

            return count;
        }
    }

    public void Record(double seconds)
    {
        if (double.IsNaN(seconds) || seconds < 0)
        {
            return;
        }

        var bucket = 0;
        while (bucket < Bounds.Count && seconds > Bounds[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Add(ref _sumNanoseconds, (long)Math.Min(seconds * 1e9, long.MaxValue / 4));
    }

    /// <summary>Appends the histogram in the Prometheus text exposition format (cumulative buckets, sum, count).</summary>
    public void WriteTo(StringBuilder text)
    {
        text.Append("# HELP ").Append(Name).Append(' ').Append(Help).Append('\n');
        text.Append("# TYPE ").Append(Name).Append(" histogram\n");
        long cumulative = 0;
        for (var i = 0; i <= Bounds.Count; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            var bound = i < Bounds.Count ? Bounds[i].ToString("R", CultureInfo.InvariantCulture) : "+Inf";
            text.Append(Name).Append("_bucket{le=\"").Append(bound).Append("\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        var sum = Interlocked.Read(ref _sumNanoseconds) / 1e9;
        text.Append(Name).Append("_sum ").Append(sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        text.Append(Name).Append("_count ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
