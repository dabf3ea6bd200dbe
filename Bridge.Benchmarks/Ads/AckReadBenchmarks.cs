using System.Buffers;
using Bridge.Core.Ads;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;

namespace Bridge.Benchmarks.Ads;

/// <summary>
/// Reading a state-of-the-world ACK, which restates every subscribed name (an Envoy's EDS ACK lists every cluster),
/// with the bridge's reader against the stock generated parser of the same bytes. The bridge reads the same ACK
/// again and again, as a fleet of proxies subscribed to the same services sends it, so its shared list is found.
/// </summary>
public class AckReadBenchmarks
{
    private const string Category = "AckRead";

    private byte[] _ack = [];

    [Params(50, 1000, 4000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var ack = new DiscoveryRequest
        {
            VersionInfo = "4f1c2a9e0b7d3c5a8e6f",
            ResponseNonce = "1742",
            TypeUrl = TypeUrls.ClusterLoadAssignment,
            ResourceNames = { Enumerable.Range(0, N).Select(i => $"service-{i:D5}") },
        };
        _ack = ack.ToByteArray();
        if (!DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(_ack)).Equals(ack))
        {
            throw new InvalidOperationException("setup: the reader does not read what the stock parser reads");
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Category)]
    public DiscoveryRequest StockParser() => DiscoveryRequest.Parser.ParseFrom(_ack);

    [Benchmark]
    [BenchmarkCategory(Category)]
    public DiscoveryRequest SharedNames() => DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(_ack));
}
