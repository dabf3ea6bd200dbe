using Bridge.Core.Observability;

namespace Bridge.Core.Consul;

/// <summary>What the Consul client records about its requests.</summary>
internal static class ConsulMetrics
{
    public static readonly Histogram<double> RequestDuration = BridgeMetrics.Meter.CreateHistogram<double>(
        "consul_request_seconds", unit: "s", description: "Consul HTTP request duration (blocking queries include their wait), by endpoint");

    public static readonly Counter<long> Errors = BridgeMetrics.Meter.CreateCounter<long>(
        "consul_errors_total", description: "Failed Consul requests, by endpoint, error kind and HTTP status");
}
