using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace Bridge.Tests.Ads.Sotw;

/// <summary>A node that declares the services it calls gets only theirs, whatever else the catalog holds.</summary>
[TestFixture]
public sealed class ScopingTests
{
    private static readonly TimeSpan Wait = InProcessBridge.Wait;

    private static Node Scoped(Node node, string services)
    {
        node.Metadata.Fields["bridge.services"] = Value.ForString(services);
        return node;
    }

    private static void Catalog(InProcessBridge server) => server.Consul.Sync(
        ("web", [new TestInstance("10.0.0.1", 8080)]),
        ("api", [new TestInstance("10.0.1.1", 9090)]),
        ("db", [new TestInstance("10.0.2.1", 5432)]));

    [Test]
    public async Task Scoped_envoy_never_receives_an_unlisted_service_in_any_type()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        Catalog(server);
        var client = server.Sotw(Scoped(AdsNodes.Envoy("scoped-envoy"), "web, api"));

        await client.SubscribeAsync(TypeUrls.Cluster, []);
        var clusters = await client.NextAsync(Wait);
        Assert.That(clusters.ResourceNames(), Is.EquivalentTo(new[] { "api", "web" }));
        await client.AckAsync(clusters);

        // Even asked for by name, db's assignment carries nothing.
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "api", "db"]);
        var assignments = await client.NextAsync(Wait);
        Assert.That(assignments.Assignments().Single(a => a.ClusterName == "db").Endpoints, Is.Empty);
        await client.AckAsync(assignments);

        await client.SubscribeAsync(TypeUrls.RouteConfiguration, ["outbound_http"]);
        var route = (await client.NextAsync(Wait)).Routes().Single();
        Assert.That(route.VirtualHosts.Select(v => v.Name), Is.EquivalentTo(new[] { "api", "web" }));

        // A change to db reaches nobody scoped away from it; a change to web does.
        server.Consul.SetService("db", new TestInstance("10.0.2.2", 5432));
        server.Consul.SetService("web", new TestInstance("10.0.0.9", 8080));
        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "web" }));
    }

    [Test]
    public async Task Changing_the_list_in_a_new_stream_changes_what_the_node_gets()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        Catalog(server);

        var before = server.Sotw(Scoped(AdsNodes.Envoy("rescoped"), "web"));
        await before.SubscribeAsync(TypeUrls.Cluster, []);
        Assert.That((await before.NextAsync(Wait)).ResourceNames(), Is.EqualTo(new[] { "web" }));

        var after = server.Sotw(Scoped(AdsNodes.Envoy("rescoped"), "db,api"));
        await after.SubscribeAsync(TypeUrls.Cluster, []);
        Assert.That((await after.NextAsync(Wait)).ResourceNames(), Is.EquivalentTo(new[] { "api", "db" }));

        var everything = server.Sotw(Scoped(AdsNodes.Envoy("rescoped"), "*"));
        await everything.SubscribeAsync(TypeUrls.Cluster, []);
        Assert.That((await everything.NextAsync(Wait)).ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }));
    }

    [Test]
    public async Task Scoped_grpc_node_gets_no_listener_for_an_unlisted_service_and_delta_honours_the_scope()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        Catalog(server);

        var grpc = server.Sotw(Scoped(AdsNodes.Grpc("scoped-grpc"), "api"));
        await grpc.SubscribeAsync(TypeUrls.Listener, ["api", "web"]);
        Assert.That((await grpc.NextAsync(Wait)).ResourceNames(), Is.EqualTo(new[] { "api" }));

        var delta = server.Delta(Scoped(AdsNodes.Envoy("scoped-delta"), "db"));
        await delta.SubscribeAsync(TypeUrls.Cluster, ["*"]);
        var response = await delta.NextAsync(Wait);
        Assert.That(response.Resources.Select(r => r.Name), Is.EqualTo(new[] { "db" }));
    }
}
