using Bridge.Core.Catalog;
using Bridge.Core.Xds;

namespace Bridge.Daemon.Admin;

/// <summary>What the bridge is serving, in the words readiness and metrics use.</summary>
internal enum ServingStatus
{
    /// <summary>No full catalog yet: proxies are not answered.</summary>
    Starting,

    /// <summary>Serving a catalog read from Consul, and Consul answers.</summary>
    Ready,

    /// <summary>
    /// Serving, but not exactly what Consul says: Consul is unreachable or erroring, an ACL-filtered answer or a
    /// suspect removal is held back, or some service was never read (the readiness view gives the reasons).
    /// </summary>
    Degraded,

    /// <summary>Serving the catalog from the state file; Consul has not answered since start.</summary>
    Stale,
}

internal static class ServingState
{
    public static ServingStatus Of(CatalogStore store, XdsCache cache)
    {
        if (!cache.Current.Ready)
        {
            return ServingStatus.Starting;
        }

        if (store.Current.Source == CatalogSource.Persisted)
        {
            return ServingStatus.Stale;
        }

        return store.Problems.Count == 0 ? ServingStatus.Ready : ServingStatus.Degraded;
    }
}
