using System.Globalization;
using Envoy.Config.Route.V3;

namespace Bridge.Benchmarks.Xds;

/// <summary>
/// A service joining or leaving the catalog while streams hold many scopes (B's shape: 4,000 services, scopes of 50).
/// Envoy's full route gets a virtual host more or less whatever the cache does; the scopes' routes should be built
/// again only where a scope names the service. Baseline: the same cache applying a change of one instance's port,
/// which touches no route; the ratio is what a service joining and leaving costs over that.
/// </summary>
public class ScopedMembershipBenchmarks
{
    private const string Category = "ScopedMembership";
    private const int Services = 4000;
    private const int ScopeSize = 50;

    private XdsCache _cache = null!;
    private (CatalogSnapshot Catalog, CatalogDiff Diff) _joined;
    private (CatalogSnapshot Catalog, CatalogDiff Diff) _left;
    private (CatalogSnapshot Catalog, CatalogDiff Diff) _moved;
    private (CatalogSnapshot Catalog, CatalogDiff Diff) _back;
    private readonly List<IDisposable> _leases = [];

    [Params(100, 4000)]
    public int Scopes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var fed = new FedCache();
        var (store, published) = (fed.Store, fed.Published);
        _cache = fed.Cache;

        var names = Enumerable.Range(0, Services).Select(i => string.Create(CultureInfo.InvariantCulture, $"service-{i:D4}")).ToImmutableSortedSet(StringComparer.Ordinal);
        store.Apply([new ServiceSetObserved(names, 1), .. names.Select(name => new ServiceEntriesObserved(name, 2, HealthServiceAnswer.Entries(name, 2)))]);
        var random = new Random(7);
        for (var i = 0; i < Scopes; i++)
        {
            var scope = Enumerable.Range(0, ScopeSize).Select(_ => names[random.Next(Services)]).ToHashSet(StringComparer.Ordinal);
            _leases.Add(_cache.HoldScope(string.Create(CultureInfo.InvariantCulture, $"scope-{i}"), scope)!);
        }

        // The joining service is named by one scope, as a new service is by the few callers that use it.
        const string newcomer = "service-new";
        _leases.Add(_cache.HoldScope("scope-newcomer", new HashSet<string>([newcomer, names[0]], StringComparer.Ordinal))!);
        var withNew = names.Add(newcomer);
        store.Apply([new ServiceSetObserved(withNew, 3), new ServiceEntriesObserved(newcomer, 3, HealthServiceAnswer.Entries(newcomer, 2))]);
        store.Apply([new ServiceSetObserved(names, 4)]);
        var changed = names[Services / 2];
        store.Apply([new ServiceEntriesObserved(changed, 5, HealthServiceAnswer.Entries(changed, 2, changedInstance: 1))]);
        store.Apply([new ServiceEntriesObserved(changed, 6, HealthServiceAnswer.Entries(changed, 2))]);
        if (published.Count != 5 || _cache.Current.ScopedRoutes.Count != Scopes + 1)
        {
            throw new InvalidOperationException($"setup: expected a sync and four changes, {Scopes + 1} scoped routes");
        }

        (_joined, _left, _moved, _back) = (published[1], published[2], published[3], published[4]);
        Join();
        if (!((RouteConfiguration)_cache.Current.ScopedRoutes["scope-newcomer"].Message).VirtualHosts.Any(host => host.Name == newcomer))
        {
            throw new InvalidOperationException("setup: the scope naming the new service does not route to it");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _leases.ForEach(lease => lease.Dispose());

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public XdsSnapshot InstanceMovedAndBack()
    {
        _cache.Apply(_moved.Catalog, _moved.Diff);
        _cache.Apply(_back.Catalog, _back.Diff);
        return _cache.Current;
    }

    [Benchmark]
    [BenchmarkCategory(Category)]
    public XdsSnapshot ServiceJoinsAndLeaves()
    {
        Join();
        _cache.Apply(_left.Catalog, _left.Diff);
        return _cache.Current;
    }

    private void Join() => _cache.Apply(_joined.Catalog, _joined.Diff);
}
