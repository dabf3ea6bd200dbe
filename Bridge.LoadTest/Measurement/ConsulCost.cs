using Bridge.DevAgent.Diagnostics;

namespace Bridge.LoadTest.Measurement;

/// <summary>
/// What the bridge cost the agent over one phase: requests and JSON bytes (as serialised, before gzip) per second by
/// kind of path, and the connections it held per source address. The harness's own queries (the floor, the change
/// feed) are taken out; the change feed's are reported apart, as the price of that design.
/// </summary>
/// <param name="ConnectionsBySource">Open at the end of the phase, per source address of the bridge.</param>
/// <param name="PeakConnectionsPerSource">Most connections one source address of the bridge held at once, over the run so far.</param>
internal sealed record ConsulCost(
    double RequestsPerSecond,
    IReadOnlyDictionary<string, double> RequestsPerSecondByKind,
    double BytesPerSecond,
    IReadOnlyDictionary<string, double> BytesPerSecondByKind,
    IReadOnlyDictionary<string, int> ConnectionsBySource,
    int PeakConnectionsPerSource,
    long TooManyRequests,
    double? FeedRequestsPerSecond,
    double? FeedBytesPerSecond,
    double? FeedBytesPerRequest)
{
    public int Sources => ConnectionsBySource.Count;

    public int Connections => ConnectionsBySource.Values.Sum();

    public static ConsulCost Between(
        DevAgentStatistics before, DevAgentStatistics after, double seconds, long floorRequests, long floorBytes, long feedRequests, long feedBytes)
    {
        // The floor's queries are health reads, the feed's health/state reads: neither is the bridge's.
        var requests = Delta(before.RequestsByKind, after.RequestsByKind);
        var bytes = Delta(before.ResponseBytesByKind, after.ResponseBytesByKind);
        Subtract(requests, "HealthService", floorRequests);
        Subtract(bytes, "HealthService", floorBytes);
        Subtract(requests, "HealthState", feedRequests);
        Subtract(bytes, "HealthState", feedBytes);
        requests.Remove("DevControl");
        var bridge = after.ConnectionsPerIp.Where(p => !LoopbackSources.IsHarness(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var peak = after.PeakConnectionsByIp.Where(p => !LoopbackSources.IsHarness(p.Key)).Select(p => p.Value).DefaultIfEmpty(0).Max();
        var fed = feedRequests > 0;
        return new ConsulCost(
            requests.Values.Sum() / seconds,
            PerSecond(requests, seconds),
            bytes.Values.Sum() / seconds,
            PerSecond(bytes, seconds),
            bridge,
            peak,
            after.TooManyRequestsResponses - before.TooManyRequestsResponses,
            fed ? feedRequests / seconds : null,
            fed ? feedBytes / seconds : null,
            fed ? feedBytes / (double)feedRequests : null);
    }

    private static Dictionary<string, long> Delta(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after) =>
        after.ToDictionary(p => p.Key, p => p.Value - before.GetValueOrDefault(p.Key), StringComparer.Ordinal);

    private static void Subtract(Dictionary<string, long> counts, string kind, long amount) =>
        counts[kind] = Math.Max(0, counts.GetValueOrDefault(kind) - amount);

    private static Dictionary<string, double> PerSecond(Dictionary<string, long> counts, double seconds) =>
        counts.Where(p => p.Value > 0).ToDictionary(p => p.Key, p => p.Value / seconds, StringComparer.Ordinal);
}
