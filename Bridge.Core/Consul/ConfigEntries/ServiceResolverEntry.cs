namespace Bridge.Core.Consul.ConfigEntries;

/// <summary>A <c>service-resolver</c> entry: which instances answer for a service, and where traffic goes when they fail.</summary>
internal sealed record ServiceResolverEntry : ConfigEntry
{
    /// <summary>The subset used when none is asked for; must be one of <see cref="Subsets"/>.</summary>
    public string? DefaultSubset { get; init; }

    /// <summary>Named subsets, each a Consul filter over the service's instances.</summary>
    public IReadOnlyDictionary<string, ResolverSubset>? Subsets { get; init; }

    /// <summary>Resolve another service, subset or datacenter instead; excludes <see cref="Failover"/>.</summary>
    public ResolverRedirect? Redirect { get; init; }

    /// <summary>By subset name, or <c>*</c> for any subset not listed.</summary>
    public IReadOnlyDictionary<string, ResolverFailover>? Failover { get; init; }

    [JsonConverter(typeof(ConsulDurationJsonConverter))]
    public TimeSpan ConnectTimeout { get; init; }

    [JsonConverter(typeof(ConsulDurationJsonConverter))]
    public TimeSpan RequestTimeout { get; init; }

    public ResolverLoadBalancer? LoadBalancer { get; init; }

    [JsonIgnore]
    public override ConfigEntryKind EntryKind => ConfigEntryKind.ServiceResolver;
}

internal sealed record ResolverSubset
{
    /// <summary>A Consul filter expression over health entries (<c>Service.Meta.version == v2</c>).</summary>
    public string? Filter { get; init; }

    /// <summary>Only instances whose checks all pass; otherwise warning counts as healthy.</summary>
    public bool OnlyPassing { get; init; }
}

internal sealed record ResolverRedirect
{
    public string? Service { get; init; }
    public string? ServiceSubset { get; init; }
    public string? Namespace { get; init; }
    public string? Partition { get; init; }
    public string? Datacenter { get; init; }
    public string? Peer { get; init; }
    public string? SamenessGroup { get; init; }
}

/// <summary>Either <see cref="Targets"/>, or <see cref="Datacenters"/> and/or Service and ServiceSubset.</summary>
internal sealed record ResolverFailover
{
    public string? Service { get; init; }
    public string? ServiceSubset { get; init; }
    public string? Namespace { get; init; }
    public IReadOnlyList<string>? Datacenters { get; init; }
    public IReadOnlyList<FailoverTarget>? Targets { get; init; }
    public FailoverPolicy? Policy { get; init; }
    public string? SamenessGroup { get; init; }
}

internal sealed record FailoverTarget
{
    public string? Service { get; init; }
    public string? ServiceSubset { get; init; }
    public string? Namespace { get; init; }
    public string? Partition { get; init; }
    public string? Datacenter { get; init; }
    public string? Peer { get; init; }
}

internal sealed record FailoverPolicy
{
    public string? Mode { get; init; }
    public IReadOnlyList<string>? Regions { get; init; }
}

internal sealed record ResolverLoadBalancer
{
    /// <summary>Empty (Envoy's default, round robin), <c>round_robin</c>, <c>least_request</c>, <c>ring_hash</c>, <c>maglev</c> or <c>random</c>.</summary>
    public string? Policy { get; init; }

    public RingHashSettings? RingHashConfig { get; init; }
    public LeastRequestSettings? LeastRequestConfig { get; init; }

    /// <summary>Only with <c>ring_hash</c> or <c>maglev</c>.</summary>
    public IReadOnlyList<ResolverHashPolicy>? HashPolicies { get; init; }
}

internal sealed record RingHashSettings
{
    public ulong MinimumRingSize { get; init; }
    public ulong MaximumRingSize { get; init; }
}

internal sealed record LeastRequestSettings
{
    public uint ChoiceCount { get; init; }
}

/// <summary>Hash a request <c>header</c>, <c>cookie</c> or <c>query_parameter</c> named FieldValue, or the source IP.</summary>
internal sealed record ResolverHashPolicy
{
    public string? Field { get; init; }
    public string? FieldValue { get; init; }
    public HashCookieSettings? CookieConfig { get; init; }
    public bool SourceIP { get; init; }
    public bool Terminal { get; init; }
}

internal sealed record HashCookieSettings
{
    public bool Session { get; init; }

    [JsonConverter(typeof(ConsulDurationJsonConverter))]
    public TimeSpan TTL { get; init; }

    public string? Path { get; init; }
}
