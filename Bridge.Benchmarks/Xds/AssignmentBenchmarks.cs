using Envoy.Config.Endpoint.V3;

namespace Bridge.Benchmarks.Xds;

/// <summary>
/// Turning one service into its ClusterLoadAssignment resource, against the floor: packing the very same message,
/// already built, into the <see cref="Any"/> a response carries. The difference is translation plus the version hash.
/// </summary>
public class AssignmentBenchmarks
{
    private const string Category = "ClusterLoadAssignment";

    private ResourceTranslator _translator = null!;
    private CatalogService _service = null!;
    private ClusterLoadAssignment _assignment = null!;

    [Params(10, 100, 1000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _translator = new ResourceTranslator(new XdsOptions(), NullLogger.Instance);
        _service = HealthServiceAnswer.Service("web", N);
        _assignment = _translator.Assignment(_service);
        var endpoints = _assignment.Endpoints.Sum(l => l.LbEndpoints.Count);
        if (endpoints != N)
        {
            throw new InvalidOperationException($"setup: expected {N} endpoints, the assignment has {endpoints}");
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public Any PackPrebuiltMessage() => Any.Pack(_assignment);

    [Benchmark]
    [BenchmarkCategory(Category)]
    public ClusterLoadAssignment TranslateOnly() => _translator.Assignment(_service);

    [Benchmark]
    [BenchmarkCategory(Category)]
    public XdsResource TranslateAndCreate() => XdsResource.Create(_service.Name, _translator.Assignment(_service));
}
