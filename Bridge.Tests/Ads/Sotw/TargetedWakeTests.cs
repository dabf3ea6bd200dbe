using Envoy.Config.Endpoint.V3;

namespace Bridge.Tests.Ads.Sotw;

/// <summary>
/// Streams are woken only by changes to what they subscribed to, so one that sat through many snapshots about
/// other services must still catch up exactly: through the cache's log of changed names when it is near, by
/// comparing everything it holds when it is not.
/// </summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class TargetedWakeTests
{
    private static readonly TimeSpan Wait = InProcessBridge.Wait;

    [TestCase(5)]
    [TestCase(ChangeLog.Length + 10)]
    public async Task A_stream_that_slept_through_changes_to_other_services_gets_exactly_its_own(int unrelated)
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]), ("api", [new TestInstance("10.0.1.1", 9090)]));

        var sotw = server.Sotw(AdsNodes.Envoy("sotw-api"));
        await sotw.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["api"], Wait);
        var delta = server.Delta(AdsNodes.Envoy("delta-api"));
        await delta.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["api"], Wait);
        var wildcard = server.Sotw(AdsNodes.Envoy("sotw-wildcard"));
        await wildcard.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);

        Assert.Multiple(() =>
        {
            Assert.That(server.Cache.Wakes.CountFor("api"), Is.EqualTo(2), "the two streams that named api");
            Assert.That(server.Cache.Wakes.CountFor("web"), Is.Zero, "nobody named web");
            Assert.That(server.Cache.Wakes.CountFor(WakeIndex.WildcardKey(TypeUrls.Cluster)), Is.EqualTo(1));
        });

        var first = server.Cache.Current.Generation;
        for (var i = 0; i < unrelated; i++)
        {
            server.Consul.SetService("web", new TestInstance($"10.0.0.{2 + i}", 8080));
        }

        Assert.That(server.Cache.Current.Generation - first, Is.EqualTo(unrelated));
        server.Consul.SetService("api", new TestInstance("10.0.1.9", 9090));
        server.Consul.SetService("db", new TestInstance("10.0.2.1", 5432));

        var sotwNext = await sotw.NextAsync(Wait);
        Assert.That(sotwNext.Assignments().Select(a => (a.ClusterName, string.Join(",", a.EndpointAddresses()))), Is.EqualTo(new[] { ("api", "10.0.1.9:9090") }));
        var deltaNext = await delta.NextAsync(Wait);
        Assert.Multiple(() =>
        {
            Assert.That(deltaNext.Unpack<ClusterLoadAssignment>().Keys, Is.EqualTo(new[] { "api" }));
            Assert.That(deltaNext.Unpack<ClusterLoadAssignment>()["api"].EndpointAddresses(), Is.EqualTo(new[] { "10.0.1.9:9090" }));
            Assert.That(deltaNext.RemovedResources, Is.Empty);
        });

        // The wildcard stream holds every cluster; the new one reaches it in a full answer.
        var clusters = await wildcard.NextAsync(Wait);
        Assert.That(clusters.ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }));
    }

    [Test]
    public async Task Changing_a_subscription_moves_the_streams_wake_keys()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]), ("api", [new TestInstance("10.0.1.1", 9090)]));
        var client = server.Sotw(AdsNodes.Grpc("grpc-moves"));

        await client.SubscribeAckedAsync(TypeUrls.Listener, ["web:8080"], Wait);
        Assert.That(server.Cache.Wakes.CountFor("web:8080"), Is.EqualTo(1), "a listener asked for as service:port is a resource of that name");

        await client.SubscribeAsync(TypeUrls.Listener, ["api"]);
        var listeners = await client.NextAsync(Wait);
        Assert.Multiple(() =>
        {
            Assert.That(listeners.ResourceNames(), Is.EqualTo(new[] { "api" }));
            Assert.That(server.Cache.Wakes.CountFor("web:8080"), Is.Zero);
            Assert.That(server.Cache.Wakes.CountFor("api"), Is.EqualTo(1));
        });

        await client.DisposeAsync();
        await server.Logs.WaitForAsync(AdsEvents.StreamClosed, _ => true, Wait);
        Assert.That(server.Cache.Wakes.Count, Is.Zero, "a closed stream leaves the index");
    }

    [Test]
    public async Task Listener_with_a_port_asked_for_before_its_service_exists_is_sent_when_the_service_registers()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]));
        var client = server.Sotw(AdsNodes.Grpc("grpc-early"));

        await client.SubscribeAsync(TypeUrls.Listener, ["late:9090"]);
        var nothing = await client.NextAsync(Wait);
        Assert.That(nothing.Resources, Is.Empty, "LDS answers the full state it has: nothing yet");
        await client.AckAsync(nothing);

        server.Consul.SetService("late", new TestInstance("10.0.2.1", 9090));

        var listeners = await client.NextAsync(Wait);
        Assert.That(listeners.ResourceNames(), Is.EqualTo(new[] { "late:9090" }));
    }
    [Test]
    public async Task A_stream_listing_more_names_than_the_named_key_limit_is_woken_by_the_types_key_and_misses_nothing()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        var names = Enumerable.Range(0, ScopedLookup.MaxNamedWakeKeys + 1).Select(i => $"svc-{i:000}").ToArray();
        server.Consul.Sync([.. names.Select(n => (n, (TestInstance[])[new TestInstance("10.0.0.1", 8080)]))]);
        var envoy = server.Sotw(AdsNodes.Envoy("envoy-long-list"));
        await envoy.SubscribeAsync(TypeUrls.ClusterLoadAssignment, names);
        var first = await envoy.NextAsync(Wait);
        Assert.That(first.Resources, Has.Count.EqualTo(names.Length));
        await envoy.AckAsync(first);

        Assert.Multiple(() =>
        {
            Assert.That(server.Cache.Wakes.CountFor(WakeIndex.WildcardKey(TypeUrls.ClusterLoadAssignment)), Is.EqualTo(1), "one key for the type, not one per name");
            Assert.That(server.Cache.Wakes.CountFor(names[0]), Is.Zero);
        });

        server.Consul.SetService("unlisted", new TestInstance("10.0.9.9", 8080));
        server.Consul.SetService(names[^1], new TestInstance("10.0.0.2", 8080));

        var next = await envoy.NextAsync(Wait);
        Assert.That(next.Assignments().Select(a => (a.ClusterName, string.Join(",", a.EndpointAddresses()))), Is.EqualTo(new[] { (names[^1], "10.0.0.2:8080") }),
            "woken by the unlisted service too, the stream sends nothing for it, and only the listed change");
    }
}
