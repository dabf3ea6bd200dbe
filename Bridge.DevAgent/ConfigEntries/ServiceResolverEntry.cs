using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.ConfigEntries;

/// <summary>
/// <c>service-resolver</c> (<c>structs.ServiceResolverConfigEntry</c>): which instances serve a service (subsets by
/// filter), where its traffic goes instead (<c>Redirect</c>) or next (<c>Failover</c>), timeouts and load balancing.
/// <c>ConnectTimeout</c> and <c>RequestTimeout</c> are Go duration strings (<c>"15s"</c>) and come first in the JSON, as
/// Consul's marshaller writes them.
/// </summary>
public sealed record ServiceResolverEntry : ConfigEntry
{
    /// <summary>Timeout for new connections to the service (5s in the compiled chain when zero).</summary>
    [JsonPropertyOrder(-102)]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public TimeSpan ConnectTimeout { get; init; }

    /// <summary>Timeout for a whole HTTP request.</summary>
    [JsonPropertyOrder(-101)]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public TimeSpan RequestTimeout { get; init; }

    /// <inheritdoc/>
    [JsonPropertyOrder(-100)]
    public override string Kind => ConfigEntryKinds.ServiceResolver;

    /// <summary>The subset used when a request names none.</summary>
    public string? DefaultSubset { get; init; }

    /// <summary>Named subsets (DNS labels) of the service's instances.</summary>
    public IReadOnlyDictionary<string, ResolverSubset>? Subsets { get; init; }

    /// <summary>Resolve another service, subset or datacenter instead.</summary>
    public ResolverRedirect? Redirect { get; init; }

    /// <summary>Where to go when a subset (key) or any subset (<c>*</c>) has no healthy instance.</summary>
    public IReadOnlyDictionary<string, ResolverFailover>? Failover { get; init; }

    /// <summary>Load balancing policy.</summary>
    public LoadBalancer? LoadBalancer { get; init; }

    /// <summary>Locality-aware routing (Enterprise: refused when set).</summary>
    public JsonElement? PrioritizeByLocality { get; init; }
}

/// <summary><c>ServiceResolverSubset</c>.</summary>
public sealed record ResolverSubset
{
    /// <summary>A filter expression over the service's health entries (<c>Service.Meta.version == v2</c>).</summary>
    public string? Filter { get; init; }

    /// <summary>Only passing instances (otherwise passing and warning).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool OnlyPassing { get; init; }
}

/// <summary><c>ServiceResolverRedirect</c>.</summary>
public sealed record ResolverRedirect
{
    /// <summary>Service to resolve instead.</summary>
    public string? Service { get; init; }

    /// <summary>Subset to resolve instead.</summary>
    public string? ServiceSubset { get; init; }

    /// <summary>Namespace (Enterprise: refused when set).</summary>
    public string? Namespace { get; init; }

    /// <summary>Partition (Enterprise: refused when set).</summary>
    public string? Partition { get; init; }

    /// <summary>Datacenter to resolve the service in.</summary>
    public string? Datacenter { get; init; }

    /// <summary>Cluster peer to resolve the service from.</summary>
    public string? Peer { get; init; }

    /// <summary>Sameness group (Enterprise: refused when set).</summary>
    public string? SamenessGroup { get; init; }
}

/// <summary><c>ServiceResolverFailover</c>.</summary>
public sealed record ResolverFailover
{
    /// <summary>Service to fail over to.</summary>
    public string? Service { get; init; }

    /// <summary>Subset to fail over to.</summary>
    public string? ServiceSubset { get; init; }

    /// <summary>Namespace (Enterprise: refused when set).</summary>
    public string? Namespace { get; init; }

    /// <summary>Datacenters to try, in order.</summary>
    public IReadOnlyList<string>? Datacenters { get; init; }

    /// <summary>Targets to try, in order (excludes <c>Service</c>, <c>ServiceSubset</c> and <c>Datacenters</c>).</summary>
    public IReadOnlyList<FailoverTarget>? Targets { get; init; }

    /// <summary>Failover policy (Enterprise: refused when it sets a mode).</summary>
    public JsonElement? Policy { get; init; }

    /// <summary>Sameness group (Enterprise: refused when set).</summary>
    public string? SamenessGroup { get; init; }
}

/// <summary><c>ServiceResolverFailoverTarget</c>.</summary>
public sealed record FailoverTarget
{
    /// <summary>Service.</summary>
    public string? Service { get; init; }

    /// <summary>Subset.</summary>
    public string? ServiceSubset { get; init; }

    /// <summary>Partition (Enterprise: refused when set).</summary>
    public string? Partition { get; init; }

    /// <summary>Namespace (Enterprise: refused when set).</summary>
    public string? Namespace { get; init; }

    /// <summary>Datacenter.</summary>
    public string? Datacenter { get; init; }

    /// <summary>Cluster peer.</summary>
    public string? Peer { get; init; }
}

/// <summary><c>LoadBalancer</c>.</summary>
public sealed record LoadBalancer
{
    /// <summary><c>round_robin</c>, <c>least_request</c>, <c>ring_hash</c>, <c>maglev</c>, <c>random</c> or empty.</summary>
    public string? Policy { get; init; }

    /// <summary>Ring sizes (ring_hash only).</summary>
    public RingHashConfig? RingHashConfig { get; init; }

    /// <summary>Choice count (least_request only).</summary>
    public LeastRequestConfig? LeastRequestConfig { get; init; }

    /// <summary>What to hash (ring_hash and maglev only).</summary>
    public IReadOnlyList<HashPolicy>? HashPolicies { get; init; }
}

/// <summary><c>RingHashConfig</c>.</summary>
public sealed record RingHashConfig
{
    /// <summary>Minimum ring size.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ulong MinimumRingSize { get; init; }

    /// <summary>Maximum ring size.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ulong MaximumRingSize { get; init; }
}

/// <summary><c>LeastRequestConfig</c>.</summary>
public sealed record LeastRequestConfig
{
    /// <summary>Hosts compared per pick.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public uint ChoiceCount { get; init; }
}

/// <summary><c>HashPolicy</c>.</summary>
public sealed record HashPolicy
{
    /// <summary><c>header</c>, <c>cookie</c> or <c>query_parameter</c>.</summary>
    public string? Field { get; init; }

    /// <summary>The header, cookie or parameter name.</summary>
    public string? FieldValue { get; init; }

    /// <summary>Cookie settings (cookie only).</summary>
    public CookieConfig? CookieConfig { get; init; }

    /// <summary>Hash the source address instead of a field.</summary>
    [JsonPropertyName("SourceIP")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool SourceIp { get; init; }

    /// <summary>Stop at this policy once it produced a hash.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Terminal { get; init; }
}

/// <summary><c>CookieConfig</c>. <c>TTL</c> is a Go <c>time.Duration</c>: integer nanoseconds in JSON.</summary>
public sealed record CookieConfig
{
    /// <summary>A session cookie (no TTL).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Session { get; init; }

    /// <summary>Lifetime of generated cookies.</summary>
    [JsonPropertyName("TTL")]
    [JsonConverter(typeof(GoNanosecondsJsonConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public TimeSpan Ttl { get; init; }

    /// <summary>Cookie path.</summary>
    public string? Path { get; init; }
}
