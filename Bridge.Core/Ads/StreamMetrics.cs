using Bridge.Core.Observability;
using Bridge.Core.Xds;

namespace Bridge.Core.Ads;

/// <summary>What streams record about their responses, ACKs and NACKs.</summary>
internal static class StreamMetrics
{
    /// <summary>
    /// Responses written, by type and protocol: counted with one interlocked add per response and read at scrape
    /// time. A counter with tags costs the exporter a label lookup per measurement, on the hottest path there is.
    /// </summary>
    private static readonly long[] s_responses = new long[TypeUrls.All.Count * 2];

    private static readonly ObservableCounter<long> Responses = BridgeMetrics.Meter.CreateObservableCounter(
        "xds_responses_total",
        () => TypeUrls.All.SelectMany((typeUrl, type) => new[] { "sotw", "delta" }.Select((protocol, p) => new Measurement<long>(
            Interlocked.Read(ref s_responses[(type * 2) + p]),
            new("type", TypeUrls.Short(typeUrl)),
            new("protocol", protocol)))),
        description: "xDS responses written to streams, by type and protocol");

    private static readonly Counter<long> Nacks = BridgeMetrics.Meter.CreateCounter<long>(
        "xds_nacks_total", description: "xDS responses rejected by proxies, by type");

    public static void Written(string typeUrl, string protocol, long changedAt)
    {
        Interlocked.Increment(ref s_responses[(TypeUrls.IndexOf(typeUrl) * 2) + (protocol == "delta" ? 1 : 0)]);
        if (changedAt != 0)
        {
            Propagation.Recorder.Written(BridgeMetrics.SecondsSince(changedAt));
        }
    }

    public static void Acked(long changedAt)
    {
        if (changedAt != 0)
        {
            Propagation.Recorder.Acked(BridgeMetrics.SecondsSince(changedAt));
        }
    }

    private static readonly Counter<long> EndedForAgeCount = BridgeMetrics.Meter.CreateCounter<long>(
        "xds_streams_max_age_total", description: "xDS streams the bridge ended because they reached Ads:MaxStreamAge, by protocol");

    public static void EndedForAge(string protocol) => EndedForAgeCount.Add(1, new KeyValuePair<string, object?>("protocol", protocol));

    public static void Nacked(string typeUrl) => Nacks.Add(1, new KeyValuePair<string, object?>("type", TypeUrls.Short(typeUrl)));

    /// <summary>Makes sure the observable instruments exist before the first scrape.</summary>
    internal static void Register() => _ = Responses;
}
