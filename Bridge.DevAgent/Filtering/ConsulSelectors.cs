using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.ConfigEntries;
using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.Filtering;

/// <summary>
/// The selectors Consul's filters accept on each endpoint, named as Consul's Go structs name their fields (and as
/// agent/structs/structs_filtering_test.go pins them): <c>/health/service</c> filters <c>CheckServiceNode</c>
/// (<c>Node.*</c>, <c>Service.*</c>, <c>Checks.*</c>), <c>/catalog/service</c> and <c>/catalog/services</c> filter the
/// flattened <c>ServiceNode</c> (<c>ServiceName</c>, <c>ServiceMeta.*</c>, <c>NodeMeta.*</c>, ...), <c>/catalog/nodes</c>
/// filters <c>Node</c> and <c>/health/state</c> filters <c>HealthCheck</c>. Fields the dev agent never fills (peering,
/// partitions, socket paths, proxies) are selectable and read as Go's zero values.
/// </summary>
internal static class ConsulSelectors
{
    private static readonly IReadOnlyDictionary<string, FilterField> Weights = Fields(
        ("Passing", FilterField.Int(o => ((ServiceWeights)o).Passing)),
        ("Warning", FilterField.Int(o => ((ServiceWeights)o).Warning)));

    private static readonly IReadOnlyDictionary<string, FilterField> TaggedServiceAddress = Fields(
        ("Address", FilterField.String(o => ((ServiceAddress)o).Address)),
        ("Port", FilterField.Int(o => ((ServiceAddress)o).Port)));

    private static readonly IReadOnlyDictionary<string, FilterField> MeshGateway = Fields(("Mode", Empty()));

    // ConnectProxyConfig: no service here is a proxy, so every field reads empty.
    private static readonly IReadOnlyDictionary<string, FilterField> Proxy = Fields(
        ("DestinationServiceName", Empty()),
        ("DestinationServiceID", Empty()),
        ("LocalServiceAddress", Empty()),
        ("LocalServicePort", FilterField.Int(_ => 0)),
        ("LocalServiceSocketPath", Empty()),
        ("Mode", Empty()),
        ("Upstreams", FilterField.ObjectList(_ => [], Fields(
            ("DestinationType", Empty()),
            ("DestinationNamespace", Empty()),
            ("DestinationPartition", Empty()),
            ("DestinationPeer", Empty()),
            ("DestinationName", Empty()),
            ("Datacenter", Empty()),
            ("LocalBindAddress", Empty()),
            ("LocalBindPort", FilterField.Int(_ => 0)),
            ("LocalBindSocketPath", Empty()),
            ("LocalBindSocketMode", Empty()),
            ("MeshGateway", FilterField.Object(o => o, MeshGateway))))),
        ("MeshGateway", FilterField.Object(o => o, MeshGateway)),
        ("Expose", FilterField.Object(o => o, Fields(
            ("Checks", FilterField.Bool(_ => false)),
            ("Paths", FilterField.ObjectList(_ => [], Fields(
                ("ListenerPort", FilterField.Int(_ => 0)),
                ("Path", Empty()),
                ("LocalPathPort", FilterField.Int(_ => 0)),
                ("Protocol", Empty()),
                ("ParsedFromCheck", FilterField.Bool(_ => false)))))))),
        ("TransparentProxy", FilterField.Object(o => o, Fields(
            ("OutboundListenerPort", FilterField.Int(_ => 0)),
            ("DialedDirectly", FilterField.Bool(_ => false))))));

    private static readonly IReadOnlyDictionary<string, FilterField> ServiceConnect = Fields(("Native", FilterField.Bool(_ => false)));

    /// <summary><c>structs.Node</c>.</summary>
    public static IReadOnlyDictionary<string, FilterField> NodeFields { get; } = Fields(
        ("ID", FilterField.String(o => ((NodeRecord)o).Id)),
        ("Node", FilterField.String(o => ((NodeRecord)o).Node)),
        ("Partition", Empty()),
        ("PeerName", Empty()),
        ("Address", FilterField.String(o => ((NodeRecord)o).Address)),
        ("Datacenter", FilterField.String(o => ((NodeRecord)o).Datacenter)),
        ("TaggedAddresses", FilterField.StringMap(o => ((NodeRecord)o).TaggedAddresses)),
        ("Meta", FilterField.StringMap(o => ((NodeRecord)o).Meta)));

    /// <summary><c>structs.NodeService</c> (its <c>Connect</c> block is selected as <c>ServiceConnect</c>).</summary>
    public static IReadOnlyDictionary<string, FilterField> NodeServiceFields { get; } = Fields(
        ("Kind", FilterField.String(o => ((ServiceRecord)o).Kind)),
        ("ID", FilterField.String(o => ((ServiceRecord)o).Id)),
        ("Service", FilterField.String(o => ((ServiceRecord)o).Service)),
        ("Tags", FilterField.StringList(o => ((ServiceRecord)o).Tags)),
        ("Address", FilterField.String(o => ((ServiceRecord)o).Address)),
        ("TaggedAddresses", FilterField.ObjectMap(o => ((ServiceRecord)o).TaggedAddresses, TaggedServiceAddress)),
        ("Meta", FilterField.StringMap(o => ((ServiceRecord)o).Meta)),
        ("Port", FilterField.Int(o => ((ServiceRecord)o).Port)),
        ("SocketPath", Empty()),
        ("Weights", FilterField.Object(o => ((ServiceRecord)o).Weights, Weights)),
        ("EnableTagOverride", FilterField.Bool(o => ((ServiceRecord)o).EnableTagOverride)),
        ("Proxy", FilterField.Object(o => o, Proxy)),
        ("ServiceConnect", FilterField.Object(o => o, ServiceConnect)),
        ("PeerName", Empty()));

    /// <summary><c>structs.HealthCheck</c>.</summary>
    public static IReadOnlyDictionary<string, FilterField> HealthCheckFields { get; } = Fields(
        ("Node", FilterField.String(o => ((CheckRecord)o).Node)),
        ("CheckID", FilterField.String(o => ((CheckRecord)o).CheckId)),
        ("Name", FilterField.String(o => ((CheckRecord)o).Name)),
        ("Status", FilterField.String(o => ((CheckRecord)o).Status)),
        ("Notes", FilterField.String(o => ((CheckRecord)o).Notes)),
        ("Output", FilterField.String(o => ((CheckRecord)o).Output)),
        ("ServiceID", FilterField.String(o => ((CheckRecord)o).ServiceId)),
        ("ServiceName", FilterField.String(o => ((CheckRecord)o).ServiceName)),
        ("ServiceTags", FilterField.StringList(o => ((CheckRecord)o).ServiceTags)),
        ("Type", FilterField.String(o => ((CheckRecord)o).Type)),
        ("Interval", FilterField.String(o => ((CheckRecord)o).Interval)),
        ("Timeout", FilterField.String(o => ((CheckRecord)o).Timeout)),
        ("ExposedPort", FilterField.Int(o => ((CheckRecord)o).ExposedPort)),
        ("PeerName", Empty()));

    /// <summary>Elements of <c>/v1/health/service/&lt;name&gt;</c>: <c>structs.CheckServiceNode</c>.</summary>
    public static FilterField CheckServiceNode { get; } = FilterField.Root(Fields(
        ("Node", FilterField.Object(o => ((HealthServiceEntry)o).Node, NodeFields)),
        ("Service", FilterField.Object(o => ((HealthServiceEntry)o).Service, NodeServiceFields)),
        ("Checks", FilterField.ObjectList(o => ((HealthServiceEntry)o).Checks, HealthCheckFields))));

    /// <summary>Elements of <c>/v1/catalog/service/&lt;name&gt;</c> (and what <c>/v1/catalog/services</c> filters): <c>structs.ServiceNode</c>.</summary>
    public static FilterField ServiceNode { get; } = FilterField.Root(Fields(
        ("ID", FilterField.String(o => ((CatalogServiceEntry)o).Id)),
        ("Node", FilterField.String(o => ((CatalogServiceEntry)o).Node)),
        ("Address", FilterField.String(o => ((CatalogServiceEntry)o).Address)),
        ("Datacenter", FilterField.String(o => ((CatalogServiceEntry)o).Datacenter)),
        ("TaggedAddresses", FilterField.StringMap(o => ((CatalogServiceEntry)o).TaggedAddresses)),
        ("NodeMeta", FilterField.StringMap(o => ((CatalogServiceEntry)o).NodeMeta)),
        ("ServiceKind", FilterField.String(o => ((CatalogServiceEntry)o).ServiceKind)),
        ("ServiceID", FilterField.String(o => ((CatalogServiceEntry)o).ServiceId)),
        ("ServiceName", FilterField.String(o => ((CatalogServiceEntry)o).ServiceName)),
        ("ServiceTags", FilterField.StringList(o => ((CatalogServiceEntry)o).ServiceTags)),
        ("ServiceAddress", FilterField.String(o => ((CatalogServiceEntry)o).ServiceAddress)),
        ("ServiceTaggedAddresses", FilterField.ObjectMap(o => ((CatalogServiceEntry)o).ServiceTaggedAddresses, TaggedServiceAddress)),
        ("ServiceMeta", FilterField.StringMap(o => ((CatalogServiceEntry)o).ServiceMeta)),
        ("ServicePort", FilterField.Int(o => ((CatalogServiceEntry)o).ServicePort)),
        ("ServiceSocketPath", Empty()),
        ("ServiceWeights", FilterField.Object(o => ((CatalogServiceEntry)o).ServiceWeights, Weights)),
        ("ServiceEnableTagOverride", FilterField.Bool(o => ((CatalogServiceEntry)o).ServiceEnableTagOverride)),
        ("ServiceProxy", FilterField.Object(o => o, Proxy)),
        ("ServiceConnect", FilterField.Object(o => o, ServiceConnect)),
        ("PeerName", Empty())));

    /// <summary>Elements of <c>/v1/catalog/nodes</c>: <c>structs.Node</c>.</summary>
    public static FilterField Node { get; } = FilterField.Root(NodeFields);

    /// <summary>Elements of <c>/v1/health/state/&lt;state&gt;</c>: <c>structs.HealthCheck</c>.</summary>
    public static FilterField HealthCheck { get; } = FilterField.Root(HealthCheckFields);

    /// <summary>
    /// Elements of <c>/v1/config/service-defaults</c>, the one kind Consul filters: <c>structs.ServiceConfigEntry</c>'s
    /// plain fields and upstream settings. Fields kept unchecked (<c>Destination</c>, <c>RateLimits</c>, <c>EnvoyExtensions</c>,
    /// <c>Expose.Paths</c>) are not selectable.
    /// </summary>
    public static FilterField ServiceDefaults { get; } = FilterField.Root(Fields(
        ("Kind", FilterField.String(o => ((ServiceDefaultsEntry)o).Kind)),
        ("Name", FilterField.String(o => ((ServiceDefaultsEntry)o).Name)),
        ("Protocol", FilterField.String(o => ((ServiceDefaultsEntry)o).Protocol)),
        ("Mode", FilterField.String(o => ((ServiceDefaultsEntry)o).Mode)),
        ("TransparentProxy", FilterField.Object(o => ((ServiceDefaultsEntry)o).TransparentProxy, Fields(
            ("OutboundListenerPort", FilterField.Int(o => ((TransparentProxySettings)o).OutboundListenerPort)),
            ("DialedDirectly", FilterField.Bool(o => ((TransparentProxySettings)o).DialedDirectly))))),
        ("MutualTLSMode", FilterField.String(o => ((ServiceDefaultsEntry)o).MutualTlsMode)),
        ("MeshGateway", FilterField.Object(o => ((ServiceDefaultsEntry)o).MeshGateway, Fields(
            ("Mode", FilterField.String(o => ((MeshGatewaySettings)o).Mode))))),
        ("Expose", FilterField.Object(o => ((ServiceDefaultsEntry)o).Expose, Fields(
            ("Checks", FilterField.Bool(o => ((ExposeSettings)o).Checks))))),
        ("ExternalSNI", FilterField.String(o => ((ServiceDefaultsEntry)o).ExternalSni)),
        ("UpstreamConfig", FilterField.Object(o => ((ServiceDefaultsEntry)o).UpstreamConfig ?? new UpstreamConfiguration(), Fields(
            ("Overrides", FilterField.ObjectList(o => ((UpstreamConfiguration)o).Overrides, UpstreamFields)),
            ("Defaults", FilterField.Object(o => ((UpstreamConfiguration)o).Defaults ?? new UpstreamConfig(), UpstreamFields))))),
        ("MaxInboundConnections", FilterField.Int(o => ((ServiceDefaultsEntry)o).MaxInboundConnections)),
        ("LocalConnectTimeoutMs", FilterField.Int(o => ((ServiceDefaultsEntry)o).LocalConnectTimeoutMs)),
        ("LocalRequestTimeoutMs", FilterField.Int(o => ((ServiceDefaultsEntry)o).LocalRequestTimeoutMs)),
        ("BalanceInboundConnections", FilterField.String(o => ((ServiceDefaultsEntry)o).BalanceInboundConnections)),
        ("Meta", FilterField.StringMap(o => ((ServiceDefaultsEntry)o).Meta))));

    private static IReadOnlyDictionary<string, FilterField> UpstreamFields => Fields(
        ("Name", FilterField.String(o => ((UpstreamConfig)o).Name)),
        ("Peer", FilterField.String(o => ((UpstreamConfig)o).Peer)),
        ("EnvoyListenerJSON", FilterField.String(o => ((UpstreamConfig)o).EnvoyListenerJson)),
        ("EnvoyClusterJSON", FilterField.String(o => ((UpstreamConfig)o).EnvoyClusterJson)),
        ("Protocol", FilterField.String(o => ((UpstreamConfig)o).Protocol)),
        ("ConnectTimeoutMs", FilterField.Int(o => ((UpstreamConfig)o).ConnectTimeoutMs)),
        ("BalanceOutboundConnections", FilterField.String(o => ((UpstreamConfig)o).BalanceOutboundConnections)));

    private static FilterField Empty() => FilterField.String(_ => string.Empty);

    private static Dictionary<string, FilterField> Fields(params (string Name, FilterField Field)[] fields) =>
        fields.ToDictionary(f => f.Name, f => f.Field, StringComparer.Ordinal);
}
