using System.Text.Json.Serialization;

namespace Bridge.Daemon.Admin;

internal sealed record ReadinessView(
    string Status, bool ConsulAvailable, string Source, int Services, int Instances, long CatalogGeneration, long XdsGeneration,
    DateTimeOffset? StaleSince, IReadOnlyList<string> Reasons, IReadOnlyList<string> Unread)
{
    /// <summary>Whether Consul answers the service list; while it does not, <c>/readyz</c> answers 503.</summary>
    public bool ConsulReachable { get; init; } = true;
}

internal sealed record CatalogView(
    string Source, bool Synced, long Generation, HeldRemovalView? HeldRemoval, IReadOnlyList<string> Unread, IReadOnlyList<string> Departed,
    IReadOnlyList<CatalogServiceView> Services);

/// <summary>A removal held as suspect: since when, what it would remove, and when it is applied unless Consul takes it back.</summary>
internal sealed record HeldRemovalView(DateTimeOffset Since, DateTimeOffset AppliedAt, int Instances, IReadOnlyList<string> Services);

internal sealed record CatalogServiceView(string Name, ulong Index, IReadOnlyList<InstanceView> Instances, IReadOnlyList<LeftOutView> LeftOut);

internal sealed record InstanceView(
    string Node, string ServiceId, string Address, long Port, string Health, long PassingWeight, long WarningWeight,
    string Datacenter, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Meta);

/// <summary>An instance not served, and why: the field that could not be read or represented, and its value.</summary>
internal sealed record LeftOutView(string Node, string ServiceId, string Field, string Value);

internal sealed record XdsView(
    long Generation, bool Ready, IReadOnlyList<XdsTypeView> Types, IReadOnlyDictionary<string, IReadOnlyList<LeftOutView>> LeftOut,
    IReadOnlyDictionary<string, IReadOnlyList<string>> InvalidMeta, IReadOnlyList<string> Tombstones,
    IReadOnlyDictionary<string, ChainView> Chains, IReadOnlyDictionary<string, CallerView> Callers);

/// <summary>
/// The routing of one service as served: the clusters its chain reaches (routes lead there), what one kind of client
/// is not sent of it, and why its latest chain is not served (the one listed stays), if so.
/// </summary>
internal sealed record ChainView(IReadOnlyList<string> Clusters, IReadOnlyList<string> NotSent, string? Rejected);

/// <summary>
/// A calling service's upstream settings (service-defaults UpstreamConfig) as applied: the defaults, each override
/// merged into them, the clusters its nodes get shaped by them, and what of them is not applied.
/// </summary>
internal sealed record CallerView(string Defaults, IReadOnlyDictionary<string, string> Overrides, IReadOnlyList<string> Clusters, IReadOnlyList<string> NotApplied);

internal sealed record XdsTypeView(string ClientKind, string TypeUrl, IReadOnlyList<XdsResourceView> Resources);

internal sealed record XdsResourceView(string Name, string Version, bool Wildcard, int Bytes, [property: JsonPropertyName("resource")] System.Text.Json.JsonElement? Resource);

internal sealed record ClientView(
    long StreamId, string NodeId, string Cluster, string Kind, string Protocol, string UserAgent, string Peer, DateTimeOffset OpenedAt,
    IReadOnlyList<ClientTypeView> Types)
{
    /// <summary>The service the node says it belongs to, whose upstream settings shape its clusters; null when it names none.</summary>
    public string? ServiceName { get; init; }
}

internal sealed record ClientTypeView(
    string TypeUrl, bool Wildcard, IReadOnlyList<string> Subscribed, string? SentVersion, string? AckedVersion,
    string? NackedVersion, string? NackError, IReadOnlyDictionary<string, string> SentResourceVersions);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReadinessView))]
[JsonSerializable(typeof(CatalogView))]
[JsonSerializable(typeof(XdsView))]
[JsonSerializable(typeof(IReadOnlyList<ClientView>))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
