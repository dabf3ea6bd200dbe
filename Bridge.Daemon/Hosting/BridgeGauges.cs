using Bridge.Core;
using Bridge.Core.Ads;
using Bridge.Core.Observability;
using Bridge.Core.Xds;

namespace Bridge.Daemon.Hosting;

/// <summary>Gauges read from the live pipeline at scrape time.</summary>
internal static class BridgeGauges
{
    /// <summary>
    /// Starts exporting the bridge's meter at once: prometheus-net otherwise connects on the first scrape and
    /// loses what was recorded before it.
    /// </summary>
    public static void StartExport()
    {
        lock (ExportGate)
        {
            if (s_export is not null)
            {
                return;
            }

            // The default adapter connects at the first scrape; ours is started here, with finer latency buckets.
            Prometheus.Metrics.SuppressDefaultMetrics(new Prometheus.SuppressDefaultMetricOptions { SuppressMeters = true });
            s_export = Prometheus.MeterAdapter.StartListening(new Prometheus.MeterAdapterOptions
            {
                ResolveHistogramBuckets = _ => [.. BridgeMetrics.LatencyBuckets],
                // Kestrel's memory pool records a measurement per block rented and returned, several per response:
                // listening to it cost the exporter a lookup and a lease each time (about a tenth of the bridge's
                // CPU under churn). Its figures are not exported; an unheard instrument costs Kestrel nothing.
                InstrumentFilterPredicate = instrument => instrument.Meter.Name != "Microsoft.AspNetCore.MemoryPool",
                // The longest prometheus-net allows: a counter that stays still must not vanish from scrapes.
                MetricsExpireAfter = TimeSpan.FromDays(1),
            });
            Propagation.RecordWith(new ExportedPropagation());
        }
    }

    /// <summary>
    /// The propagation histograms as the exporter's own, observed directly: through the meter adapter every
    /// response and every ACK cost a lookup and a lease (about a tenth of the bridge's CPU under churn). Same names,
    /// buckets and help as the meter's would have.
    /// </summary>
    private sealed class ExportedPropagation : IPropagationRecorder
    {
        private readonly Prometheus.Histogram _written = Histogram(Propagation.WrittenName, Propagation.WrittenDescription);
        private readonly Prometheus.Histogram _acked = Histogram(Propagation.AckedName, Propagation.AckedDescription);

        public void Written(double seconds) => _written.Observe(seconds);

        public void Acked(double seconds) => _acked.Observe(seconds);

        private static Prometheus.Histogram Histogram(string name, string help) =>
            Prometheus.Metrics.CreateHistogram($"{BridgeMetrics.MeterName}_{name}", help, new Prometheus.HistogramConfiguration { Buckets = [.. BridgeMetrics.LatencyBuckets] });
    }

    private static readonly object ExportGate = new();
    private static IDisposable? s_export;

    public static void Register(BridgePipeline pipeline, TimeProvider time)
    {
        StartExport();
        var meter = BridgeMetrics.Meter;
        meter.CreateObservableGauge("xds_streams", () =>
            from kind in Enum.GetValues<ClientKind>()
            from protocol in Enum.GetValues<XdsProtocol>()
            select new System.Diagnostics.Metrics.Measurement<int>(
                pipeline.Streams.CountByKind(kind, protocol),
                new("kind", kind.ToString().ToLowerInvariant()),
                new("protocol", protocol == XdsProtocol.Delta ? "delta" : "sotw")),
            description: "Open xDS streams by client kind and protocol");
        meter.CreateObservableGauge("consul_watched_services", () => pipeline.WatchedServices, description: "Services with a blocking watch on Consul");
        meter.CreateObservableGauge("catalog_services", () => pipeline.Catalog.Services.Count, description: "Services in the served catalog");
        meter.CreateObservableGauge("catalog_instances", () => pipeline.Catalog.InstanceCount, description: "Instances in the served catalog");
        // A subset read lists again instances of its service's own read: each left-out instance counts once.
        meter.CreateObservableGauge("instances_left_out", () => pipeline.Catalog.Services.Values.SelectMany(s => s.LeftOut)
                .Concat(pipeline.Catalog.Routing.TargetsLeftOut)
                .Concat(pipeline.Xds.LeftOut.Values.SelectMany(l => l))
                .Distinct().Count(),
            description: "Instances Consul lists that are not served: unreadable, or not representable as endpoints (port, address, a repeated address)");
        meter.CreateObservableGauge("catalog_held", () => new[]
            {
                new System.Diagnostics.Metrics.Measurement<int>(pipeline.HeldRemoval is null ? 0 : 1, new KeyValuePair<string, object?>("reason", "removal")),
                new System.Diagnostics.Metrics.Measurement<int>(pipeline.State.Reasons.Count(r => r.StartsWith("ACLs", StringComparison.Ordinal)), new KeyValuePair<string, object?>("reason", "acl")),
                new System.Diagnostics.Metrics.Measurement<int>(pipeline.State.Unread.Count, new KeyValuePair<string, object?>("reason", "unread")),
            },
            description: "What is held back from Consul's answers: a suspect removal (1 while held), ACL-filtered answers, services never read");
        meter.CreateObservableGauge("served_state_age_seconds", () =>
            pipeline.State.StaleSince is { } since ? (time.GetUtcNow() - since).TotalSeconds : 0.0,
            unit: "s", description: "How long what is served may have been out of date (0 while current)");
        meter.CreateObservableGauge("state", () =>
            Enum.GetValues<ServingStatus>().Select(s => new System.Diagnostics.Metrics.Measurement<int>(
                pipeline.State.Status == s ? 1 : 0, new KeyValuePair<string, object?>("state", s.ToString().ToLowerInvariant()))),
            description: "1 for the bridge's current serving state: starting, ready, degraded or stale");
        meter.CreateObservableGauge("xds_generation", () => pipeline.Xds.Generation, description: "Generation of the served xDS snapshot");
        meter.CreateObservableCounter("gc_pause_seconds_total", () => GC.GetTotalPauseDuration().TotalSeconds, unit: "s", description: "Time the process spent paused for garbage collection");
        meter.CreateObservableCounter("threadpool_work_items_total", () => ThreadPool.CompletedWorkItemCount, description: "Work items the thread pool has run (the hops a response costs, divided by responses written)");
    }
}
