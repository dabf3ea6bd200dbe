using Bridge.Core.Consul;

namespace Bridge.Core.Catalog;

/// <summary>A service and its instances, sorted by <see cref="InstanceKey"/>, as of Consul index <see cref="Index"/>.</summary>
public sealed record CatalogService(string Name, ulong Index, ImmutableArray<ServiceInstance> Instances)
{
    /// <summary>Instances Consul listed that could not be read, each with the field that failed; served without them.</summary>
    public ImmutableArray<SkippedInstance> LeftOut { get; init; } = [];

    public bool Equals(CatalogService? other) =>
        other is not null && Name == other.Name && Index == other.Index && Instances.SequenceEqual(other.Instances) && LeftOut.SequenceEqual(other.LeftOut);

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

    /// <summary>
    /// Services that left the catalog, by the order they left (a rising number), most recent last; at most
    /// <see cref="MaxDeparted"/>. gRPC clients keep being told these exist (with no endpoints), since a client told a
    /// resource does not exist may never recover when it returns.
    /// </summary>
    public ImmutableSortedDictionary<string, long> Departed { get; init; } = ImmutableSortedDictionary.Create<string, long>(StringComparer.Ordinal);

    /// <summary>How Consul's config entries route calls: compiled chains and the instances of their targets.</summary>
    public Chains.CatalogRouting Routing { get; init; } = Chains.CatalogRouting.Empty;

    /// <summary>The most departed services remembered; past it the earliest to leave is forgotten.</summary>
    public const int MaxDeparted = 10_000;

    /// <summary>Stopwatch timestamp of the earliest Consul answer behind this snapshot's changes; 0 when unknown.</summary>
    public long ChangedAt { get; init; }
}
