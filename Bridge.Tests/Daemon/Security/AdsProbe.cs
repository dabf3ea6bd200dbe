using Envoy.Config.Cluster.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;
using Node = Envoy.Config.Core.V3.Node;

namespace Bridge.Tests.Daemon.Security;

/// <summary>What a proxy sees of the ADS port: the first answer to a cluster request, or the status that refuses it.</summary>
internal static class AdsProbe
{
    private static readonly TimeSpan Wait = Bridge.Testing.Hosting.InProcessBridge.Wait;

    /// <summary>Opens a state-of-the-world stream, asks for clusters and returns the first answer.</summary>
    public static async Task<DiscoveryResponse> FetchClustersAsync(GrpcChannel channel, string nodeId = "proxy-1", string cluster = "edge", Metadata? headers = null)
    {
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        using var call = client.StreamAggregatedResources(headers, DateTime.UtcNow + Wait);
        await TryWriteAsync(call.RequestStream, new DiscoveryRequest { Node = Node(nodeId, cluster), TypeUrl = TypeUrls.Cluster });
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True, "the stream ended without an answer");
        return call.ResponseStream.Current;
    }

    /// <summary>Opens a delta stream, subscribes to every cluster and returns the first answer.</summary>
    public static async Task<DeltaDiscoveryResponse> FetchClustersDeltaAsync(GrpcChannel channel, string nodeId = "proxy-1", string cluster = "edge", Metadata? headers = null)
    {
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        using var call = client.DeltaAggregatedResources(headers, DateTime.UtcNow + Wait);
        await TryWriteAsync(call.RequestStream, new DeltaDiscoveryRequest { Node = Node(nodeId, cluster), TypeUrl = TypeUrls.Cluster });
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True, "the stream ended without an answer");
        return call.ResponseStream.Current;
    }

    /// <summary>The names of the clusters of a CDS answer.</summary>
    public static IReadOnlyList<string> ClusterNames(DiscoveryResponse response) => [.. response.Resources.Select(r => r.Unpack<Cluster>().Name)];

    /// <summary>
    /// A refused connection can fail the write already (the server ends a TLS 1.3 connection right after its
    /// handshake); the status a client sees then comes from reading the response, as it would for any gRPC client.
    /// </summary>
    private static async Task TryWriteAsync<T>(IClientStreamWriter<T> writer, T request)
    {
        try
        {
            await writer.WriteAsync(request);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or RpcException or InvalidOperationException)
        {
        }
    }

    public static Node Node(string id, string cluster) => new() { Id = id, Cluster = cluster, UserAgentName = "envoy" };
}
