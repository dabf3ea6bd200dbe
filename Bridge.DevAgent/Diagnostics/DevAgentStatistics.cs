using Bridge.DevAgent.Faults;

namespace Bridge.DevAgent.Diagnostics;

/// <summary>A snapshot of the agent's connection, request and fault counters (also <c>GET /_dev/stats</c>).</summary>
public sealed record DevAgentStatistics
{
    /// <summary>Open TCP connections per client IP.</summary>
    public required IReadOnlyDictionary<string, int> ConnectionsPerIp { get; init; }

    /// <summary>Most TCP connections open at once from each client IP that has connected.</summary>
    public IReadOnlyDictionary<string, int> PeakConnectionsByIp { get; init; } = new Dictionary<string, int>();

    /// <summary>Open TCP connections in total.</summary>
    public int OpenConnections { get; init; }

    /// <summary>Most connections open at once, in total.</summary>
    public int PeakConnections { get; init; }

    /// <summary>Most connections open at once from a single IP.</summary>
    public int PeakConnectionsPerIp { get; init; }

    /// <summary>Connections refused by the per-IP limit with the raw 429.</summary>
    public long ConnectionLimitRejections { get; init; }

    /// <summary>Every 429 sent: connection-limit refusals plus HTTP 429 responses.</summary>
    public long TooManyRequestsResponses { get; init; }

    /// <summary>Requests received, by kind of path (<c>HealthService</c>, <c>CatalogServices</c>, ...).</summary>
    public required IReadOnlyDictionary<string, long> RequestsByKind { get; init; }

    /// <summary>JSON bytes written (before any gzip), by kind of path.</summary>
    public IReadOnlyDictionary<string, long> ResponseBytesByKind { get; init; } = new Dictionary<string, long>();

    /// <summary>Blocking queries waiting right now.</summary>
    public int BlockingQueriesInFlight { get; init; }

    /// <summary>How often each fault has been applied.</summary>
    public required FaultCounters Faults { get; init; }
}
