using System.Collections.Immutable;

namespace Bridge.Core.Catalog;

/// <summary>A service and its instances, sorted by <see cref="InstanceKey"/>, as of Consul index <see cref="Index"/>.</summary>
public sealed record CatalogService(string Name, ulong Index, ImmutableArray<ServiceInstance> Instances)
{
    public bool Equals(CatalogService? other) =>
        other is not null && Name == other.Name && Index == other.Index && Instances.SequenceEqual(other.Instances);

    public override int GetHashCode() => HashCode.Combine(Name, Index, Instances.Length);

    /// <summary>The same instances, whatever the index.</summary>
    public bool SameInstances(CatalogService other) => Instances.SequenceEqual(other.Instances);
}

/// <summary>Where the catalog currently served came from.</summary>
public enum CatalogSource
{
    /// <summary>Nothing loaded yet.</summary>
    None,

    /// <summary>Read from Consul in this process's lifetime.</summary>
    Consul,

    /// <summary>Loaded from the state file; Consul has not answered yet.</summary>
    Persisted,
}

/// <summary>An immutable view of every watched service. A new snapshot replaces the old one whole.</summary>
public sealed record CatalogSnapshot(
    ImmutableSortedDictionary<string, CatalogService> Services,
    long Generation,
    bool Synced,
    CatalogSource Source)
{
    public static CatalogSnapshot Empty { get; } =
        new(ImmutableSortedDictionary.Create<string, CatalogService>(StringComparer.Ordinal), 0, false, CatalogSource.None);

    public int InstanceCount => Services.Values.Sum(s => s.Instances.Length);

    /// <summary>Stopwatch timestamp of the earliest Consul answer behind this snapshot's changes; 0 when unknown.</summary>
    public long ChangedAt { get; init; }
}
