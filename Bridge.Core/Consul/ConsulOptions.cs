using Bridge.Core.Configuration;

namespace Bridge.Core.Consul;

/// <summary>
/// How the bridge reaches Consul and what it watches. Bound from the <c>Consul</c> section; its lists are
/// <see cref="EquatableList{T}"/>s, so two snapshots compare by content.
/// </summary>
public sealed record ConsulOptions
{
    public const string SectionName = "Consul";

    /// <summary>Base address of the Consul agent's HTTP API. <c>CONSUL_HTTP_ADDR</c> overrides the default.</summary>
    public string Address { get; init; } = "http://127.0.0.1:8500";

    /// <summary>Datacenter to query; empty means the agent's own.</summary>
    public string? Datacenter { get; init; }

    /// <summary>
    /// ACL token sent as <c>X-Consul-Token</c>. Never logged. When the configuration sets neither this nor
    /// <see cref="TokenFile"/>, <c>CONSUL_HTTP_TOKEN_FILE</c> or <c>CONSUL_HTTP_TOKEN</c> supplies it.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>A file holding the ACL token (surrounding whitespace trimmed), read at every start.</summary>
    public string? TokenFile { get; init; }

    /// <summary>PEM file of the CAs that sign Consul's HTTPS certificate; unset means the system's roots. <c>CONSUL_CACERT</c>.</summary>
    public string? CaFile { get; init; }

    /// <summary>A directory of PEM CA files, used together with <see cref="CaFile"/>. <c>CONSUL_CAPATH</c>.</summary>
    public string? CaPath { get; init; }

    /// <summary>PEM client certificate for Consul's <c>verify_incoming</c>; needs <see cref="KeyFile"/>. <c>CONSUL_CLIENT_CERT</c>.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM private key of <see cref="CertFile"/>. <c>CONSUL_CLIENT_KEY</c>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>Name sent as SNI and checked against Consul's certificate, when it differs from the address's host. <c>CONSUL_TLS_SERVER_NAME</c>.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>Accept any certificate from Consul. Logged as a warning at start; for experiments only. <c>CONSUL_HTTP_SSL_VERIFY=false</c>.</summary>
    public bool InsecureSkipVerify { get; init; }

    /// <summary>How long Consul may hold a blocking query (Consul caps it at 10 minutes).</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><see cref="ConsulConsistency.Default"/> asks the leader; <see cref="ConsulConsistency.Stale"/> lets any server answer.</summary>
    public ConsulConsistency Consistency { get; init; } = ConsulConsistency.Default;

    /// <summary>Service names to watch (exact, or with a trailing <c>*</c>); empty means all.</summary>
    public IReadOnlyList<string> IncludeServices { get; init => field = EquatableList<string>.From(value); } = EquatableList<string>.Empty;

    /// <summary>Service names never watched (exact, or with a trailing <c>*</c>). Wins over includes.</summary>
    public IReadOnlyList<string> ExcludeServices { get; init => field = EquatableList<string>.From(value); } = EquatableList<string>.Empty;

    /// <summary>When set, only services carrying at least one of these tags are watched.</summary>
    public IReadOnlyList<string> IncludeTags { get; init => field = EquatableList<string>.From(value); } = EquatableList<string>.Empty;

    /// <summary>Services carrying any of these tags are never watched.</summary>
    public IReadOnlyList<string> ExcludeTags { get; init => field = EquatableList<string>.From(value); } = EquatableList<string>.Empty;

    /// <summary>Queries a single watch may make in a burst before the loop is paced.</summary>
    public int QueryBurst { get; init; } = 3;

    /// <summary>Sustained pace of one watch's loop once its burst is spent.</summary>
    public TimeSpan MinQueryInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>First retry delay after a failed query; doubled with jitter on each failure.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest delay between retries.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// While an ACL-filtered answer is held (the token lost a permission), how often the watches holding it read again
    /// without blocking: a token that works again does not move Consul's index, so a blocking query would not see it.
    /// </summary>
    public TimeSpan AclRetryWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a watch polls when Consul's answers carry no <c>X-Consul-Index</c> (blocking is then impossible).</summary>
    public TimeSpan IndexlessPollInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// With <see cref="ConsulConsistency.Stale"/>, the most a server may lag behind the leader (<c>X-Consul-LastContact</c>)
    /// before its answer is read again from the leader, as Consul's own <c>max_stale</c> does; an answer from a server
    /// that knows no leader is always read again.
    /// </summary>
    public TimeSpan MaxStale { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest response body accepted from Consul; a larger one is an error and the last good state stays.</summary>
    public long MaxResponseBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Queries in flight from one source address over plain HTTP, where each holds a connection. 0 (the default) takes
    /// nine tenths of the agent's <c>http_max_conns_per_client</c> (read from <c>/v1/agent/self</c>, else Consul's
    /// default of 200); a set value is never allowed above that share of a limit read from the agent. Also the most
    /// connections opened when HTTPS falls back to HTTP/1.1 (128 when 0).
    /// </summary>
    public int MaxConcurrentQueries { get; init; }

    /// <summary>
    /// Local addresses the connections to Consul leave from, each with its own per-client allowance at the agent:
    /// <c>auto</c> (127.0.0.2 to 127.0.0.254, as many as needed, when the agent is on IPv4 loopback on Linux; else the
    /// operating system's choice), <c>none</c>, or IP addresses and IPv4 CIDR blocks separated by commas.
    /// </summary>
    public string SourceAddresses { get; init; } = SourceAddressPool.Auto;

    /// <summary>
    /// Upper bound on queries in flight over HTTPS, where they are HTTP/2 streams multiplexed over a few
    /// connections (Consul's HTTPS listener allows 250 streams per connection, so 5000 take about 20 of the 200
    /// connections a client IP may hold).
    /// </summary>
    public int MaxConcurrentQueriesHttp2 { get; init; } = 5000;

    /// <summary>Whether Consul is reached over HTTPS, and so over HTTP/2 when Consul agrees to it.</summary>
    public bool UsesTls => Address.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>HTTP version of every request: 2.0 over HTTPS (falling back to 1.1 if Consul refuses it), else 1.1.</summary>
    public Version RequestVersion => UsesTls ? HttpVersion.Version20 : HttpVersion.Version11;

    /// <summary>Connections opened when Consul's HTTPS endpoint refuses HTTP/2: <see cref="MaxConcurrentQueries"/>, or 128 when that is 0.</summary>
    public int Http1FallbackConnections => MaxConcurrentQueries > 0 ? MaxConcurrentQueries : 128;

    /// <summary>Client-side timeout for one blocking query: Consul may add up to wait/16, so allow that and a margin.</summary>
    internal TimeSpan RequestTimeout => Wait + Wait / 16 + TimeSpan.FromSeconds(5);

    // Records print every property, and settings end up in log lines and exception messages: never the token.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Address = ").Append(Address)
            .Append(", Datacenter = ").Append(Datacenter)
            .Append(", Token = ").Append(string.IsNullOrEmpty(Token) ? "(none)" : "(set)")
            .Append(", TokenFile = ").Append(TokenFile)
            .Append(", CaFile = ").Append(CaFile)
            .Append(", CaPath = ").Append(CaPath)
            .Append(", CertFile = ").Append(CertFile)
            .Append(", KeyFile = ").Append(KeyFile)
            .Append(", TlsServerName = ").Append(TlsServerName)
            .Append(", InsecureSkipVerify = ").Append(InsecureSkipVerify)
            .Append(", Wait = ").Append(Wait)
            .Append(", Consistency = ").Append(Consistency)
            .Append(", MaxStale = ").Append(MaxStale)
            .Append(", AclRetryWait = ").Append(AclRetryWait)
            .Append(", IndexlessPollInterval = ").Append(IndexlessPollInterval)
            .Append(", MaxConcurrentQueries = ").Append(MaxConcurrentQueries)
            .Append(", SourceAddresses = ").Append(SourceAddresses)
            .Append(", MaxConcurrentQueriesHttp2 = ").Append(MaxConcurrentQueriesHttp2);
        return true;
    }
}

/// <summary>Consistency mode of catalog and health reads.</summary>
public enum ConsulConsistency
{
    Default,
    Stale,
}
