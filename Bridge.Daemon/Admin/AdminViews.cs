using System.Text.Json.Serialization;

namespace Bridge.Daemon.Admin;

internal sealed record ReadinessView(string Status, bool ConsulAvailable, string Source, int Services, int Instances, long CatalogGeneration, long XdsGeneration, DateTimeOffset? StaleSince);

internal sealed record CatalogView(string Source, bool Synced, long Generation, IReadOnlyList<CatalogServiceView> Services);

internal sealed record CatalogServiceView(string Name, ulong Index, IReadOnlyList<InstanceView> Instances);

internal sealed record InstanceView(
    string Node, string ServiceId, string Address, int Port, string Health, int PassingWeight, int WarningWeight,
    string Datacenter, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Meta);

internal sealed record XdsView(long Generation, bool Ready, IReadOnlyList<XdsTypeView> Types);

internal sealed record XdsTypeView(string ClientKind, string TypeUrl, IReadOnlyList<XdsResourceView> Resources);

internal sealed record XdsResourceView(string Name, string Version, bool Wildcard, int Bytes, [property: JsonPropertyName("resource")] System.Text.Json.JsonElement? Resource);

internal sealed record ClientView(
    long StreamId, string NodeId, string Cluster, string Kind, string Protocol, string UserAgent, string Peer, DateTimeOffset OpenedAt,
    IReadOnlyList<ClientTypeView> Types);

internal sealed record ClientTypeView(
    string TypeUrl, bool Wildcard, IReadOnlyList<string> Subscribed, string? SentVersion, string? AckedVersion,
    string? NackedVersion, string? NackError, IReadOnlyDictionary<string, string> SentResourceVersions);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReadinessView))]
[JsonSerializable(typeof(CatalogView))]
[JsonSerializable(typeof(XdsView))]
[JsonSerializable(typeof(IReadOnlyList<ClientView>))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
