using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Benchmarks.Xds;

/// <summary>
/// A cache fed the way the daemon feeds it: a catalog store it subscribes to, over a Consul without config entries
/// (start-up waits for routing as for the services); every publish is recorded, for the benchmarks to replay.
/// </summary>
internal sealed class FedCache
{
    public FedCache()
    {
        Store = new CatalogStore(NullLogger<CatalogStore>.Instance);
        Store.Apply([.. ConfigEntryKinds.All.Select(kind => new ConfigEntriesObserved(new ConfigEntryList(kind, [], []), 1)), new LocalDatacenterObserved("dc1")]);
        Cache = new XdsCache(new XdsOptions(), NullLogger<XdsCache>.Instance);
        Store.Subscribe(Cache.Apply);
        Store.Subscribe((catalog, diff) => Published.Add((catalog, diff)));
    }

    public CatalogStore Store { get; }

    public XdsCache Cache { get; }

    public List<(CatalogSnapshot Catalog, CatalogDiff Diff)> Published { get; } = [];
}
