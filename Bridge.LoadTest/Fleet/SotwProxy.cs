using Envoy.Service.Discovery.V3;

namespace Bridge.LoadTest.Fleet;

/// <summary>A simulated Envoy on a state-of-the-world stream.</summary>
internal sealed class SotwProxy(int id, ProxyShape shape, SyntheticCatalog catalog, Propagation propagation)
    : StreamProxy<AdsClient, DiscoveryResponse>(id, shape, catalog, propagation)
{
    protected override AdsClient Open(ChannelBase channel, Envoy.Config.Core.V3.Node node) =>
        new AdsClient(channel, node, new AdsClientOptions { AutoAck = true });

    protected override string TypeUrlOf(DiscoveryResponse response) => response.TypeUrl;

    protected override IEnumerable<(string Name, ByteString Body)> Resources(DiscoveryResponse response) =>
        response.Resources.Select(r => (ResourceName.Read(r.Value), r.Value));

    /// <summary>Every response lists every cluster: the assignments asked for are replaced by theirs.</summary>
    protected override async Task OnClustersAsync(AdsClient client, DiscoveryResponse response)
    {
        var clusters = response.Resources.Select(r => ResourceName.Read(r.Value)).ToList();
        if (SetClusters(clusters))
        {
            await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, clusters).ConfigureAwait(false);
        }
    }
}
