namespace Bridge.DevAgent;

/// <summary>
/// Settings of a <see cref="DevAgentServer"/>. Defaults follow a Consul agent's defaults
/// (<c>default_query_time</c>, <c>max_query_time</c>, <c>http_max_conns_per_client</c>).
/// </summary>
public sealed record DevAgentOptions
{
    /// <summary>
    /// Address to listen on, e.g. <c>http://127.0.0.1:8500</c>. Port 0 picks a free port. <c>https://</c> serves TLS with
    /// a certificate from a CA made at start (see <see cref="DevAgentServer.CaFile"/>), HTTP/2 and HTTP/1.1 offered by ALPN.
    /// </summary>
    public string Url { get; init; } = "http://127.0.0.1:8500";

    /// <summary>
    /// Datacenter the agent belongs to; queries for a datacenter the agent does not serve (see <see cref="Datacenters"/>)
    /// fail as Consul's do.
    /// </summary>
    public string Datacenter { get; init; } = "dc1";

    /// <summary>
    /// Every datacenter the agent serves, nearest first, as one WAN federation: each gets its own catalog, indexes and
    /// config entries, reached with <c>?dc=</c>. <see cref="Datacenter"/> is always served and always listed first; null
    /// means it alone.
    /// </summary>
    public IReadOnlyList<string>? Datacenters { get; init; }

    /// <summary>The federation's primary datacenter, where config entries are written; <see cref="Datacenter"/> when null.</summary>
    public string? PrimaryDatacenter { get; init; }

    /// <summary>Name of the agent's own node, where agent-registered services live.</summary>
    public string NodeName { get; init; } = "dev-agent";

    /// <summary>Address of the agent's own node.</summary>
    public string NodeAddress { get; init; } = "127.0.0.1";

    /// <summary>Concurrent TCP connections allowed per client IP (<c>http_max_conns_per_client</c>); 0 means unlimited.</summary>
    public int MaxConnsPerClient { get; init; } = 200;

    /// <summary>Wait applied to a blocking query that gives none (<c>default_query_time</c>).</summary>
    public TimeSpan DefaultWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Upper bound of a blocking query's wait, before jitter (<c>max_query_time</c>).</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// When set, ACLs are enforced from the start with this token allowed everything (<see cref="Acl.AclRules.FullAccess"/>):
    /// an unknown token gets 403 <c>ACL not found</c>, and requests without a token act as the anonymous token.
    /// More tokens can be added while the agent runs (<see cref="DevAgentServer.Acl"/>).
    /// </summary>
    public string? RequiredToken { get; init; }

    /// <summary>The clock of blocking-query waits, TTLs and fault timings; tests pass one they move themselves.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Logger factory for the agent's own logs; none means no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The datacenters served, nearest first: <see cref="Datacenter"/>, then the others of <see cref="Datacenters"/>.</summary>
    internal IReadOnlyList<string> ServedDatacenters =>
        [Datacenter, .. (Datacenters ?? []).Where(d => d != Datacenter).Distinct(StringComparer.Ordinal)];

    /// <summary>What is wrong with a datacenter name, or null: it goes into URLs as <c>?dc=</c>.</summary>
    internal static string? DatacenterNameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.Any(c => char.IsWhiteSpace(c) || c is '/' or '?' or '&' or '#' or '%')
            ? $"A datacenter name must be non-empty, without spaces or any of / ? & # %, got '{name}'."
            : null;

    // Records print every property; the token must never reach a log line.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Url = ").Append(Url)
            .Append(", Datacenter = ").Append(Datacenter)
            .Append(", Datacenters = [").Append(string.Join(", ", ServedDatacenters)).Append(']')
            .Append(", PrimaryDatacenter = ").Append(PrimaryDatacenter ?? Datacenter)
            .Append(", NodeName = ").Append(NodeName)
            .Append(", NodeAddress = ").Append(NodeAddress)
            .Append(", MaxConnsPerClient = ").Append(MaxConnsPerClient)
            .Append(", DefaultWait = ").Append(DefaultWait)
            .Append(", MaxWait = ").Append(MaxWait)
            .Append(", RequiredToken = ").Append(RequiredToken is null ? "(none)" : "(set)");
        return true;
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Datacenter))
        {
            throw new ArgumentException("DevAgentOptions.Datacenter must not be empty.");
        }

        foreach (var name in Datacenters ?? [])
        {
            if (DatacenterNameProblem(name) is { } problem)
            {
                throw new ArgumentException("DevAgentOptions.Datacenters: " + problem);
            }
        }

        if (PrimaryDatacenter is not null && !ServedDatacenters.Contains(PrimaryDatacenter, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"DevAgentOptions.PrimaryDatacenter must be one of the datacenters served ({string.Join(", ", ServedDatacenters)}), got '{PrimaryDatacenter}'.");
        }

        if (string.IsNullOrWhiteSpace(NodeName))
        {
            throw new ArgumentException("DevAgentOptions.NodeName must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(NodeAddress))
        {
            throw new ArgumentException("DevAgentOptions.NodeAddress must not be empty.");
        }

        if (MaxConnsPerClient < 0)
        {
            throw new ArgumentException($"DevAgentOptions.MaxConnsPerClient must be 0 (unlimited) or more, got {MaxConnsPerClient}.");
        }

        if (DefaultWait <= TimeSpan.Zero || MaxWait <= TimeSpan.Zero || DefaultWait > MaxWait)
        {
            throw new ArgumentException(
                $"DevAgentOptions.DefaultWait ({DefaultWait}) and MaxWait ({MaxWait}) must be positive, with DefaultWait <= MaxWait.");
        }
    }
}
