using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.ConfigEntries;

/// <summary>
/// <c>service-defaults</c> (<c>structs.ServiceConfigEntry</c>): a service's protocol and how its callers reach their
/// upstreams. <c>TransparentProxy</c>, <c>MeshGateway</c> and <c>Expose</c> are always present, as Go serialises
/// structs; <c>Destination</c>, <c>RateLimits</c> and <c>EnvoyExtensions</c> are kept as given, unchecked.
/// </summary>
public sealed record ServiceDefaultsEntry : ConfigEntry
{
    /// <inheritdoc/>
    [JsonPropertyOrder(-100)]
    public override string Kind => ConfigEntryKinds.ServiceDefaults;

    /// <summary><c>tcp</c> (when empty), <c>http</c>, <c>http2</c>, <c>grpc</c> or any other string; stored in lower case.</summary>
    public string Protocol { get; init; } = string.Empty;

    /// <summary>Proxy mode (<c>direct</c>, <c>transparent</c>).</summary>
    public string? Mode { get; init; }

    /// <summary>Transparent proxy settings.</summary>
    public TransparentProxySettings TransparentProxy { get; init; } = new();

    /// <summary><c>strict</c> or <c>permissive</c>.</summary>
    [JsonPropertyName("MutualTLSMode")]
    public string? MutualTlsMode { get; init; }

    /// <summary>Mesh gateway mode.</summary>
    public MeshGatewaySettings MeshGateway { get; init; } = new();

    /// <summary>Paths exposed through the proxy.</summary>
    public ExposeSettings Expose { get; init; } = new();

    /// <summary>An SNI that marks the service external.</summary>
    [JsonPropertyName("ExternalSNI")]
    public string? ExternalSni { get; init; }

    /// <summary>How this service's proxies reach their upstreams: per-upstream overrides and defaults.</summary>
    public UpstreamConfiguration? UpstreamConfig { get; init; }

    /// <summary>A terminating-gateway destination, kept as given.</summary>
    public JsonElement? Destination { get; init; }

    /// <summary>Inbound connection limit.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long MaxInboundConnections { get; init; }

    /// <summary>Local app connect timeout in milliseconds.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long LocalConnectTimeoutMs { get; init; }

    /// <summary>Local app request timeout in milliseconds.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long LocalRequestTimeoutMs { get; init; }

    /// <summary>Empty or <c>exact_balance</c>.</summary>
    public string? BalanceInboundConnections { get; init; }

    /// <summary>Rate limits (Enterprise), kept as given.</summary>
    public JsonElement? RateLimits { get; init; }

    /// <summary>Envoy extensions, kept as given.</summary>
    public JsonElement? EnvoyExtensions { get; init; }
}

/// <summary><c>TransparentProxyConfig</c>: <c>{}</c> unless set.</summary>
public sealed record TransparentProxySettings
{
    /// <summary>Outbound listener port.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long OutboundListenerPort { get; init; }

    /// <summary>Whether callers dial the instances directly.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool DialedDirectly { get; init; }
}

/// <summary><c>MeshGatewayConfig</c>: <c>{}</c> unless a mode is set.</summary>
public sealed record MeshGatewaySettings
{
    /// <summary><c>none</c>, <c>local</c> or <c>remote</c>.</summary>
    public string? Mode { get; init; }
}

/// <summary><c>ExposeConfig</c>: <c>{}</c> unless set.</summary>
public sealed record ExposeSettings
{
    /// <summary>Expose health check paths.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Checks { get; init; }

    /// <summary>Exposed paths, kept as given.</summary>
    public JsonElement? Paths { get; init; }
}

/// <summary><c>UpstreamConfiguration</c>.</summary>
public sealed record UpstreamConfiguration
{
    /// <summary>Per-upstream settings, each naming its upstream.</summary>
    public IReadOnlyList<UpstreamConfig>? Overrides { get; init; }

    /// <summary>Settings for every upstream without an override; takes no name.</summary>
    public UpstreamConfig? Defaults { get; init; }
}

/// <summary><c>UpstreamConfig</c>: how a proxy reaches one upstream (or all of them, as defaults).</summary>
public sealed record UpstreamConfig
{
    /// <summary>The upstream service (overrides only).</summary>
    public string? Name { get; init; }

    /// <summary>Cluster peer of the upstream; always present, empty by default.</summary>
    public string Peer { get; init; } = string.Empty;

    /// <summary>Escape hatch: a whole Envoy listener.</summary>
    [JsonPropertyName("EnvoyListenerJSON")]
    public string? EnvoyListenerJson { get; init; }

    /// <summary>Escape hatch: a whole Envoy cluster.</summary>
    [JsonPropertyName("EnvoyClusterJSON")]
    public string? EnvoyClusterJson { get; init; }

    /// <summary>The upstream's protocol, stored in lower case.</summary>
    public string? Protocol { get; init; }

    /// <summary>Connect timeout in milliseconds; a negative value is stored as 0.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long ConnectTimeoutMs { get; init; }

    /// <summary>Circuit breaker limits.</summary>
    public UpstreamLimits? Limits { get; init; }

    /// <summary>Outlier detection.</summary>
    public PassiveHealthCheck? PassiveHealthCheck { get; init; }

    /// <summary>Mesh gateway mode.</summary>
    public MeshGatewaySettings MeshGateway { get; init; } = new();

    /// <summary>Empty or <c>exact_balance</c>.</summary>
    public string? BalanceOutboundConnections { get; init; }
}

/// <summary><c>UpstreamLimits</c>; each limit omitted when not set, and never negative.</summary>
public sealed record UpstreamLimits
{
    /// <summary>Maximum connections.</summary>
    public long? MaxConnections { get; init; }

    /// <summary>Maximum pending requests.</summary>
    public long? MaxPendingRequests { get; init; }

    /// <summary>Maximum concurrent requests.</summary>
    public long? MaxConcurrentRequests { get; init; }
}

/// <summary><c>PassiveHealthCheck</c>. Its durations are Go <c>time.Duration</c> values: integer nanoseconds in JSON.</summary>
public sealed record PassiveHealthCheck
{
    /// <summary>Time between ejection sweeps.</summary>
    [JsonConverter(typeof(GoNanosecondsJsonConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public TimeSpan Interval { get; init; }

    /// <summary>Consecutive failures that eject a host.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public uint MaxFailures { get; init; }

    /// <summary>Percentage (0-100) of detected outliers actually ejected.</summary>
    [JsonPropertyName("EnforcingConsecutive5xx")]
    public uint? EnforcingConsecutive5Xx { get; init; }

    /// <summary>Percentage (0-100) of hosts that may be ejected at once.</summary>
    public uint? MaxEjectionPercent { get; init; }

    /// <summary>Base ejection time.</summary>
    [JsonConverter(typeof(GoNanosecondsJsonConverter))]
    public TimeSpan? BaseEjectionTime { get; init; }
}
