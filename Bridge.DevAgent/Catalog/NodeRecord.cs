namespace Bridge.DevAgent.Catalog;

/// <summary>A node as Consul stores and serialises it (<c>structs.Node</c>).</summary>
internal sealed record NodeRecord
{
    [JsonPropertyName("ID")]
    public required string Id { get; init; }

    public required string Node { get; init; }

    public required string Address { get; init; }

    public required string Datacenter { get; init; }

    // A Go nil map: serialised as null when the registration gave none.
    public IReadOnlyDictionary<string, string>? TaggedAddresses { get; init; }

    public IReadOnlyDictionary<string, string>? Meta { get; init; }

    public ulong CreateIndex { get; init; }

    public ulong ModifyIndex { get; init; }

    /// <summary>Same data, ignoring Raft indexes (Consul's <c>Node.IsSame</c>).</summary>
    public bool SameContentAs(NodeRecord other) =>
        Id == other.Id
        && Node == other.Node
        && Address == other.Address
        && Datacenter == other.Datacenter
        && Equality.Maps(TaggedAddresses, other.TaggedAddresses)
        && Equality.Maps(Meta, other.Meta);
}
