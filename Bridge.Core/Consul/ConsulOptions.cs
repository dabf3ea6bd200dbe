namespace Bridge.Core.Consul;

/// <summary>How the bridge reaches Consul and what it watches. Bound from the <c>Consul</c> section.</summary>
public sealed record ConsulOptions
{
    public const string SectionName = "Consul";

    /// <summary>Base address of the Consul agent's HTTP API. <c>CONSUL_HTTP_ADDR</c> overrides the default.</summary>
    public string Address { get; init; } = "http://127.0.0.1:8500";

    /// <summary>Datacenter to query; empty means the agent's own.</summary>
    public string? Datacenter { get; init; }

    /// <summary>ACL token sent as <c>X-Consul-Token</c>. Never logged. <c>CONSUL_HTTP_TOKEN</c> supplies it when unset.</summary>
    public string? Token { get; init; }

    /// <summary>How long Consul may hold a blocking query (Consul caps it at 10 minutes).</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><see cref="ConsulConsistency.Default"/> asks the leader; <see cref="ConsulConsistency.Stale"/> lets any server answer.</summary>
    public ConsulConsistency Consistency { get; init; } = ConsulConsistency.Default;

    /// <summary>Service names to watch (exact, or with a trailing <c>*</c>); empty means all.</summary>
    public IReadOnlyList<string> IncludeServices { get; init; } = [];

    /// <summary>Service names never watched (exact, or with a trailing <c>*</c>). Wins over includes.</summary>
    public IReadOnlyList<string> ExcludeServices { get; init; } = [];

    /// <summary>When set, only services carrying at least one of these tags are watched.</summary>
    public IReadOnlyList<string> IncludeTags { get; init; } = [];

    /// <summary>Services carrying any of these tags are never watched.</summary>
    public IReadOnlyList<string> ExcludeTags { get; init; } = [];

    /// <summary>Queries a single watch may make in a burst before the loop is paced.</summary>
    public int QueryBurst { get; init; } = 3;

    /// <summary>Sustained pace of one watch's loop once its burst is spent.</summary>
    public TimeSpan MinQueryInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>First retry delay after a failed query; doubled with jitter on each failure.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest delay between retries.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest response body accepted from Consul; a larger one is an error and the last good state stays.</summary>
    public long MaxResponseBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Upper bound on queries in flight to Consul at once, kept below Consul's 200 connections per client.</summary>
    public int MaxConcurrentQueries { get; init; } = 128;

    /// <summary>Client-side timeout for one blocking query: Consul may add up to wait/16, so allow that and a margin.</summary>
    internal TimeSpan RequestTimeout => Wait + Wait / 16 + TimeSpan.FromSeconds(5);
}

/// <summary>Consistency mode of catalog and health reads.</summary>
public enum ConsulConsistency
{
    Default,
    Stale,
}
