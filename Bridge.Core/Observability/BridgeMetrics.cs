using System.Diagnostics;

namespace Bridge.Core.Observability;

/// <summary>
/// The one <see cref="Meter"/> every stage records on; each stage owns its instruments (Consul's, the streams'),
/// and the daemon exports the meter. Names and labels are part of the operator interface (dashboards and alerts):
/// never rename one.
/// </summary>
public static class BridgeMetrics
{
    public const string MeterName = "bridge";

    public static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>Bucket upper bounds of latency histograms in seconds, from half a millisecond to Consul's longest blocking query.</summary>
    public static IReadOnlyList<double> LatencyBuckets { get; } = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 150, 330, 660];

    /// <summary>Seconds since a <see cref="Stopwatch"/> timestamp; NaN for 0 (unknown).</summary>
    internal static double SecondsSince(long timestamp) =>
        timestamp == 0 ? double.NaN : Stopwatch.GetElapsedTime(timestamp).TotalSeconds;
}
