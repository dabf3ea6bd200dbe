namespace Bridge.Core.Xds;

/// <summary>The resource types the bridge serves, by their full xDS type URL.</summary>
public static class TypeUrls
{
    public const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string RouteConfiguration = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    public const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string ClusterLoadAssignment = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

    /// <summary>In make-before-break order: clusters before their endpoints, listeners before their routes.</summary>
    public static IReadOnlyList<string> All { get; } = [Cluster, ClusterLoadAssignment, Listener, RouteConfiguration];

    /// <summary>
    /// The order when clusters only leave: listeners and routes first stop referring to them, then they go. A route
    /// that still names a removed cluster (a split moved off a subset, say) fails the calls it matches meanwhile.
    /// </summary>
    public static IReadOnlyList<string> RemovalOrder { get; } = [Listener, RouteConfiguration, Cluster, ClusterLoadAssignment];

    /// <summary>The position of a known type URL in <see cref="All"/>.</summary>
    public static int IndexOf(string typeUrl) => typeUrl switch
    {
        Cluster => 0,
        ClusterLoadAssignment => 1,
        Listener => 2,
        RouteConfiguration => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(typeUrl), typeUrl, "not a served type"),
    };

    /// <summary>LDS and CDS answers must list every resource; the others may carry only some.</summary>
    public static bool RequiresFullState(string typeUrl) => typeUrl is Listener or Cluster;

    public static bool IsKnown(string typeUrl) => typeUrl is Listener or RouteConfiguration or Cluster or ClusterLoadAssignment;

    /// <summary>The short form, e.g. <c>envoy.config.cluster.v3.Cluster</c>, used in logs and CSDS.</summary>
    public static string Short(string typeUrl) => typeUrl.StartsWith("type.googleapis.com/", StringComparison.Ordinal) ? typeUrl[20..] : typeUrl;
}
