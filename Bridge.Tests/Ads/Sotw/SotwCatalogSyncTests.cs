using Bridge.Core.Consul;

namespace Bridge.Tests.Ads.Sotw;

/// <summary>Until the catalog has read every service once, a proxy must get nothing rather than a partial view.</summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class SotwCatalogSyncTests
{
    private static readonly TimeSpan Wait = InProcessBridge.Wait;

    [Test]
    public async Task Stream_opened_before_the_first_catalog_sync_gets_its_first_response_only_after_the_sync()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        var node = AdsNodes.Envoy("envoy-early");
        var client = server.Sotw(node);
        var mark = server.Logs.Mark();
        await client.SubscribeAsync(TypeUrls.Cluster, []);
        await server.Logs.WaitForAsync(AdsEvents.StreamOpened, e => e.Field("NodeId") == node.Id, Wait, mark);

        // Consul listed two services but only one has been read: published to the cache, not yet synced.
        server.Consul.Apply(
            [
                .. ConsulFeed.NoRouting(),
                new ServiceSetObserved(["api", "web"], 1),
                new ServiceEntriesObserved("web", 2, [new TestInstance("10.0.0.1", 8080).ToEntry("web")]),
            ]);
        Assert.That(server.Cache.Current.Ready, Is.False);
        // What an answer now would carry: web alone. Answers come in order, so the first one tells.
        Assert.That(server.Cache.Current.Get(ClientKind.Envoy, TypeUrls.Cluster).ByName.Keys, Is.EquivalentTo(new[] { "web" }));
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);

        var syncedAt = Stopwatch.GetTimestamp();
        server.Consul.Apply(new ServiceEntriesObserved("api", 3, [new TestInstance("10.0.1.1", 9090).ToEntry("api")]));
        Assert.That(server.Cache.Current.Ready, Is.True);

        var first = await client.NextReceivedAsync(Wait);
        Assert.That(first.Since(syncedAt), Is.GreaterThanOrEqualTo(TimeSpan.Zero));
        Assert.That(first.Response.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        Assert.That(first.Response.ResourceNames(), Is.EquivalentTo(new[] { "api", "web" }), "the first answer must be the synced catalog");
        var second = await client.NextAsync(Wait);
        Assert.That(second.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
    }

    [Test]
    public async Task Empty_catalog_once_synced_answers_wildcard_CDS_with_no_clusters()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        var client = server.Sotw(AdsNodes.Envoy("envoy-empty"));
        await client.SubscribeAsync(TypeUrls.Cluster, []);

        server.Consul.Sync();

        var cds = await client.NextAsync(Wait);
        Assert.That(cds.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        Assert.That(cds.Resources, Is.Empty);
        Assert.That(cds.VersionInfo, Is.Not.Empty);
    }
}
