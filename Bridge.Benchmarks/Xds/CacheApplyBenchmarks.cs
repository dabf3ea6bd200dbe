using System.Globalization;
using Envoy.Config.Endpoint.V3;

namespace Bridge.Benchmarks.Xds;

/// <summary>
/// One catalog change reaching the cache: S services of 10 instances, one instance of one service moved to another
/// port. Whatever the cache does, that service's ClusterLoadAssignment has to be serialised again, so the baseline is
/// packing that message alone; the ratio is the cache's overhead over that floor (translating the service's cluster
/// and assignment, comparing them with what is served, hashing, and publishing a new snapshot).
/// Each call applies the opposite change to the previous one, so every call really changes the served assignment.
/// </summary>
public class CacheApplyBenchmarks
{
    private const string Category = "XdsCacheApply";
    private const int InstancesPerService = 10;

    private XdsCache _cache = null!;
    private (CatalogSnapshot Catalog, CatalogDiff Diff) _toMoved;
    private (CatalogSnapshot Catalog, CatalogDiff Diff) _toOriginal;
    private ClusterLoadAssignment _assignment = null!;
    private bool _moved;

    [Params(100, 1000)]
    public int S { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var fed = new FedCache();
        var (store, published) = (fed.Store, fed.Published);
        _cache = fed.Cache;

        var names = Enumerable.Range(0, S).Select(i => string.Create(CultureInfo.InvariantCulture, $"service-{i:D4}")).ToImmutableSortedSet(StringComparer.Ordinal);
        store.Apply([new ServiceSetObserved(names, 1), .. names.Select(name => new ServiceEntriesObserved(name, 2, HealthServiceAnswer.Entries(name, InstancesPerService)))]);
        var changed = names[S / 2];
        store.Apply([new ServiceEntriesObserved(changed, 3, HealthServiceAnswer.Entries(changed, InstancesPerService, changedInstance: InstancesPerService / 2))]);
        store.Apply([new ServiceEntriesObserved(changed, 4, HealthServiceAnswer.Entries(changed, InstancesPerService))]);
        if (published.Count != 3 || published[^2].Item2.Changes.Length != 1 || published[^1].Item2.Changes.Length != 1 || !_cache.Current.Ready)
        {
            throw new InvalidOperationException("setup: expected a synced catalog, then two changes of one service each");
        }

        _toMoved = published[^2];
        _toOriginal = published[^1];
        _assignment = new ResourceTranslator(new XdsOptions(), NullLogger.Instance).Assignment(store.Current.Services[changed]);

        // Each apply must serialise exactly one resource (the assignment): otherwise this measures something else.
        var before = XdsResource.Serialisations;
        Apply();
        Apply();
        if (XdsResource.Serialisations - before != 2 || _moved)
        {
            throw new InvalidOperationException($"setup: two applies serialised {XdsResource.Serialisations - before} resources, expected 2");
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public Any PackChangedAssignment() => Any.Pack(_assignment);

    [Benchmark]
    [BenchmarkCategory(Category)]
    public XdsSnapshot Apply()
    {
        _moved = !_moved;
        var (catalog, diff) = _moved ? _toMoved : _toOriginal;
        _cache.Apply(catalog, diff);
        return _cache.Current;
    }
}
