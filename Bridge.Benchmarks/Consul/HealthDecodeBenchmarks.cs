using System.Text.Json;

namespace Bridge.Benchmarks.Consul;

/// <summary>
/// From the bytes of a <c>/v1/health/service</c> answer to the service's sorted instance list, the way the watcher
/// and the catalog do it, against only parsing the same bytes into a <see cref="JsonDocument"/>.
/// </summary>
public class HealthDecodeBenchmarks
{
    private const string Category = "HealthServiceDecode";

    private byte[] _json = [];

    [Params(10, 100, 1000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _json = HealthServiceAnswer.Json("web", N);
        if (DecodeAndBuild().Length != N)
        {
            throw new InvalidOperationException($"setup: expected {N} instances");
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public int JsonDocumentParse()
    {
        using var document = JsonDocument.Parse(_json);
        return document.RootElement.GetArrayLength();
    }

    [Benchmark]
    [BenchmarkCategory(Category)]
    public ImmutableArray<ServiceInstance> DecodeAndBuild() =>
        InstanceFactory.Build("web", JsonSerializer.Deserialize(_json, ConsulJsonContext.Default.HealthServiceEntryArray)!);
}
