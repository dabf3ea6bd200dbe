namespace Bridge.Benchmarks.Catalog;

/// <summary>
/// The merge pass that says which instances of a service were added, removed or changed, against the cheapest
/// pass over the same lists: an element-wise equality check (what <see cref="CatalogService.SameInstances"/> does
/// before a diff is asked for). The two lists are decoded separately, as two Consul answers would be, so equal
/// instances are equal objects, not the same object; the changed instance sorts last, so both passes visit every pair.
/// </summary>
public class InstanceDiffBenchmarks
{
    private const string Category = "InstanceDiff";

    private ImmutableArray<ServiceInstance> _before;
    private ImmutableArray<ServiceInstance> _after;

    [Params(10, 100, 1000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _before = HealthServiceAnswer.Service("web", N).Instances;
        _after = HealthServiceAnswer.Service("web", N, changedInstance: N - 1).Instances;
        var (added, removed, changed) = CatalogDiff.Instances(_before, _after);
        if (added.Length != 0 || removed.Length != 0 || changed.Length != 1 || changed[0].Key != _after[^1].Key)
        {
            throw new InvalidOperationException("setup: expected exactly the last instance to have changed");
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public bool SequenceEqual() => _before.AsSpan().SequenceEqual(_after.AsSpan());

    [Benchmark]
    [BenchmarkCategory(Category)]
    public (ImmutableArray<ServiceInstance> Added, ImmutableArray<ServiceInstance> Removed, ImmutableArray<ServiceInstance> Changed) CatalogDiffInstances() =>
        CatalogDiff.Instances(_before, _after);
}
