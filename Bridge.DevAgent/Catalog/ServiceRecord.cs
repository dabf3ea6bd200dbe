namespace Bridge.DevAgent.Catalog;

/// <summary>A service instance as Consul stores and serialises it (<c>structs.NodeService</c>, CE build).</summary>
internal sealed record ServiceRecord
{
    // omitempty in Consul: typical services carry no Kind.
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Kind { get; init; }

    [JsonPropertyName("ID")]
    public required string Id { get; init; }

    public required string Service { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    public required string Address { get; init; }

    // omitempty in Consul; stored as null when empty.
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, ServiceAddress>? TaggedAddresses { get; init; }

    public IReadOnlyDictionary<string, string>? Meta { get; init; }

    // omitempty in Consul since NodeService gained SocketPath: a port of 0 is not sent at all.
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long Port { get; init; }

    public required ServiceWeights Weights { get; init; }

    public bool EnableTagOverride { get; init; }

    public ProxyConfig Proxy => ProxyConfig.Empty;

    public EmptyObject Connect => EmptyObject.Instance;

    public ulong CreateIndex { get; init; }

    public ulong ModifyIndex { get; init; }

    /// <summary>Same data, ignoring Raft indexes (Consul's <c>ServiceNode.IsSameService</c>).</summary>
    public bool SameContentAs(ServiceRecord other) =>
        Kind == other.Kind
        && Id == other.Id
        && Service == other.Service
        && Tags.SequenceEqual(other.Tags, StringComparer.Ordinal)
        && Address == other.Address
        && Equality.Maps(TaggedAddresses, other.TaggedAddresses)
        && Equality.Maps(Meta, other.Meta)
        && Port == other.Port
        && Weights == other.Weights
        && EnableTagOverride == other.EnableTagOverride;
}
