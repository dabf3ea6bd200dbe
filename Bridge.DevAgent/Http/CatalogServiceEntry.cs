using Bridge.DevAgent.Catalog;

namespace Bridge.DevAgent.Http;

/// <summary>One element of <c>/v1/catalog/service/&lt;name&gt;</c>: node and instance flattened (Consul's <c>ServiceNode</c>).</summary>
internal sealed record CatalogServiceEntry
{
    [JsonPropertyName("ID")]
    public required string Id { get; init; }

    public required string Node { get; init; }

    public required string Address { get; init; }

    public required string Datacenter { get; init; }

    public IReadOnlyDictionary<string, string>? TaggedAddresses { get; init; }

    public IReadOnlyDictionary<string, string>? NodeMeta { get; init; }

    public required string ServiceKind { get; init; }

    [JsonPropertyName("ServiceID")]
    public required string ServiceId { get; init; }

    public required string ServiceName { get; init; }

    public required IReadOnlyList<string> ServiceTags { get; init; }

    public required string ServiceAddress { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, ServiceAddress>? ServiceTaggedAddresses { get; init; }

    public required ServiceWeights ServiceWeights { get; init; }

    public IReadOnlyDictionary<string, string>? ServiceMeta { get; init; }

    public long ServicePort { get; init; }

    public bool ServiceEnableTagOverride { get; init; }

    public ProxyConfig ServiceProxy => ProxyConfig.Empty;

    public EmptyObject ServiceConnect => EmptyObject.Instance;

    public ulong CreateIndex { get; init; }

    public ulong ModifyIndex { get; init; }

    public static CatalogServiceEntry From(NodeRecord node, ServiceRecord service) => new()
    {
        Id = node.Id,
        Node = node.Node,
        Address = node.Address,
        Datacenter = node.Datacenter,
        TaggedAddresses = node.TaggedAddresses,
        NodeMeta = node.Meta,
        ServiceKind = service.Kind ?? string.Empty,
        ServiceId = service.Id,
        ServiceName = service.Service,
        ServiceTags = service.Tags,
        ServiceAddress = service.Address,
        ServiceTaggedAddresses = service.TaggedAddresses,
        ServiceWeights = service.Weights,
        ServiceMeta = service.Meta,
        ServicePort = service.Port,
        ServiceEnableTagOverride = service.EnableTagOverride,
        CreateIndex = service.CreateIndex,
        ModifyIndex = service.ModifyIndex,
    };
}
