using Envoy.Service.Discovery.V3;

namespace Bridge.LoadTest.Fleet;

/// <summary>A simulated Envoy on an incremental (delta) stream.</summary>
internal sealed class DeltaProxy(int id, ProxyShape shape, SyntheticCatalog catalog, Propagation propagation)
    : StreamProxy<DeltaAdsClient, DeltaDiscoveryResponse>(id, shape, catalog, propagation)
{
    protected override DeltaAdsClient Open(ChannelBase channel, Envoy.Config.Core.V3.Node node) =>
        new DeltaAdsClient(channel, node, new AdsClientOptions { AutoAck = true });

    protected override string TypeUrlOf(DeltaDiscoveryResponse response) => response.TypeUrl;

    protected override IEnumerable<(string Name, ByteString Body)> Resources(DeltaDiscoveryResponse response) =>
        response.Resources.Where(r => r.Resource_ is not null).Select(r => (r.Name, r.Resource_.Value));

    /// <summary>A response lists the clusters that changed and those removed: assignments follow both.</summary>
    protected override async Task OnClustersAsync(DeltaAdsClient client, DeltaDiscoveryResponse response)
    {
        var removed = response.RemovedResources.ToList();
        var added = UpdateClusters(response.Resources.Select(r => r.Name), removed);
        if (added.Count > 0)
        {
            await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, added).ConfigureAwait(false);
        }

        if (removed.Count > 0)
        {
            await client.UnsubscribeAsync(TypeUrls.ClusterLoadAssignment, removed).ConfigureAwait(false);
        }
    }
}
