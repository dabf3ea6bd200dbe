using Envoy.Config.Cluster.V3;

namespace Bridge.Benchmarks.Xds;

/// <summary>
/// Turning one service into its Cluster resource, against packing the same message already built. A cluster does
/// not grow with instances, so there is no N; its meta asks for HTTP/2 and outlier detection, which fills in
/// the typed protocol options (itself an Any packed inside the cluster) and the outlier block.
/// </summary>
public class ClusterBenchmarks
{
    private const string Category = "Cluster";

    private ResourceTranslator _translator = null!;
    private CatalogService _service = null!;
    private ServicePolicy _policy = null!;
    private Cluster _cluster = null!;

    [GlobalSetup]
    public void Setup()
    {
        _translator = new ResourceTranslator(new XdsOptions(), NullLogger.Instance);
        _service = HealthServiceAnswer.Service("web", 10);
        _policy = ServicePolicy.From(_service, NullLogger.Instance);
        _cluster = _translator.Cluster(_service, _policy, ClientKind.Envoy);
        if (_cluster.OutlierDetection is null || _cluster.TypedExtensionProtocolOptions.Count != 1)
        {
            throw new InvalidOperationException("setup: the sample service's meta should ask for HTTP/2 and outlier detection");
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public Any PackPrebuiltMessage() => Any.Pack(_cluster);

    [Benchmark]
    [BenchmarkCategory(Category)]
    public XdsResource TranslateAndCreate() => XdsResource.Create(_service.Name, _translator.Cluster(_service, _policy, ClientKind.Envoy));
}
