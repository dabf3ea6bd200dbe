using System.Diagnostics;
using System.Diagnostics.Metrics;
using Bridge.Core.Xds;

namespace Bridge.Core.Observability;

/// <summary>
/// The bridge's instruments, on one <see cref="Meter"/> that the daemon exports to Prometheus, except the two
/// propagation histograms recorded per response and per ACK: those are <see cref="LatencyHistogram"/>s, which the
/// metrics endpoint appends (<see cref="ExportHistograms"/>), and a meter listener does not see them. Names and
/// labels are part of the operator interface (dashboards and alerts): never rename one.
/// </summary>
public static class BridgeMetrics
{
    public const string MeterName = "bridge";

    public static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>
    /// Responses written, by type and protocol: counted with one interlocked add per response and read at scrape
    /// time. A counter with tags costs the exporter a label lookup per measurement, on the hottest path there is.
    /// </summary>
    private static readonly long[] s_responses = new long[TypeUrls.All.Count * 2];

    private static readonly ObservableCounter<long> ResponsesPushed = Meter.CreateObservableCounter(
        "xds_responses_total",
        () => TypeUrls.All.SelectMany((typeUrl, type) => new[] { "sotw", "delta" }.Select((protocol, p) => new Measurement<long>(
            Interlocked.Read(ref s_responses[(type * 2) + p]),
            new("type", TypeUrls.Short(typeUrl)),
            new("protocol", protocol)))),
        description: "xDS responses written to streams, by type and protocol");

    internal static void ResponseWritten(int typeIndex, bool delta) => Interlocked.Increment(ref s_responses[(typeIndex * 2) + (delta ? 1 : 0)]);

    internal static readonly Counter<long> Nacks = Meter.CreateCounter<long>(
        "xds_nacks_total", description: "xDS responses rejected by proxies, by type");

    internal static readonly LatencyHistogram PropagationToWrite = new(
        "bridge_propagation_write_seconds", "Consul answer received to xDS response written on a stream");

    internal static readonly LatencyHistogram PropagationToAck = new(
        "bridge_propagation_ack_seconds", "Consul answer received to the proxy's ACK of the resulting response");

    /// <summary>The histograms kept outside the meter, in the Prometheus text format, for the metrics endpoint to append.</summary>
    public static string ExportHistograms()
    {
        var text = new System.Text.StringBuilder();
        PropagationToWrite.WriteTo(text);
        PropagationToAck.WriteTo(text);
        return text.ToString();
    }

    internal static readonly Histogram<double> ConsulRequestDuration = Meter.CreateHistogram<double>(
        "consul_request_seconds", unit: "s", description: "Consul HTTP request duration (blocking queries include their wait), by endpoint");

    internal static readonly Counter<long> ConsulErrors = Meter.CreateCounter<long>(
        "consul_errors_total", description: "Failed Consul requests, by endpoint, error kind and HTTP status");

    internal static double SecondsSince(long timestamp) =>
        timestamp == 0 ? double.NaN : Stopwatch.GetElapsedTime(timestamp).TotalSeconds;
}
