using Bridge.DevAgent.Catalog;

namespace Bridge.DevAgent.Faults;

/// <summary>How one stale read is answered while a <see cref="StaleReadFault"/> is in force.</summary>
/// <param name="KnownLeader">The <c>X-Consul-KnownLeader</c> value.</param>
/// <param name="LastContact">The <c>X-Consul-LastContact</c> value.</param>
/// <param name="Frozen">The state a frozen follower serves; null when not frozen.</param>
/// <param name="LagWrites">How many writes behind the follower is; 0 when current.</param>
internal sealed record StaleReadPlan(bool KnownLeader, TimeSpan LastContact, CatalogState? Frozen, int LagWrites)
{
    /// <summary>Whether the data served differs from the leader's, so any write may change what the reader sees.</summary>
    public bool Lagging => Frozen is not null || LagWrites > 0;

    public CatalogState View(DevCatalog catalog) => Frozen ?? catalog.StateWritesAgo(LagWrites);
}
