namespace Bridge.Core.Xds;

/// <summary>How Consul's instances become xDS resources. Bound from the <c>Xds</c> section.</summary>
public sealed record XdsOptions
{
    public const string SectionName = "Xds";

    /// <summary>What an instance whose checks are at <c>warning</c> becomes.</summary>
    public WarningMapping Warning { get; init; } = WarningMapping.Healthy;

    /// <summary>What an instance that is critical, in maintenance or of unknown status becomes.</summary>
    public UnhealthyMapping Unhealthy { get; init; } = UnhealthyMapping.Exclude;

    /// <summary>Node-meta key whose value is the instance's zone in its locality (the region is the datacenter).</summary>
    public string ZoneNodeMetaKey { get; init; } = "zone";

    /// <summary>Connect timeout of every cluster unless the service's meta overrides it.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Address of the outbound HTTP listener served to Envoy nodes.</summary>
    public string EnvoyListenerAddress { get; init; } = "127.0.0.1";

    /// <summary>Port of the outbound HTTP listener served to Envoy nodes.</summary>
    public int EnvoyListenerPort { get; init; } = 15001;

    /// <summary>Name of that listener and of its RouteConfiguration.</summary>
    public string EnvoyListenerName { get; init; } = "outbound_http";

    /// <summary>
    /// Whether gRPC clients get a resolver's ring hash (and the routes' header and source hash policies) as Envoy does.
    /// Off by default: gRPC C-core 1.50 and 1.51 crash on the first call through a RING_HASH cluster, so gRPC clients
    /// get ROUND_ROBIN. Turn it on when every gRPC client is grpc-js, grpc-go, grpc-java or C-core 1.52 and later.
    /// </summary>
    public bool GrpcRingHash { get; init; }
}

public enum WarningMapping
{
    /// <summary>Served as HEALTHY, weighted by <c>Weights.Warning</c>.</summary>
    Healthy,

    /// <summary>Left out of the ClusterLoadAssignment.</summary>
    Exclude,
}

public enum UnhealthyMapping
{
    /// <summary>Left out of the ClusterLoadAssignment.</summary>
    Exclude,

    /// <summary>Served with health status UNHEALTHY, so proxies know it exists but send it no traffic.</summary>
    Unhealthy,
}
