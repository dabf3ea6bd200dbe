using Bridge.Core.Consul;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf.WellKnownTypes;

namespace Bridge.Tests.Xds.Chains;

/// <summary>
/// A node scoped to the services it calls gets every cluster and assignment their chains reach (a subset, another
/// service a split leads to, a failover target in another datacenter) and nothing else, over both stream protocols;
/// clusters still come before the routes that name them.
/// </summary>
[TestFixture]
public sealed class ChainScopingTests
{
    private static readonly TimeSpan Wait = InProcessBridge.Wait;
    private const string V2 = "\"v2\" in Service.Tags";

    private static readonly string[] Entries =
    [
        """{"Kind":"service-defaults","Name":"web","Protocol":"http"}""",
        """{"Kind":"service-defaults","Name":"api","Protocol":"http"}""",
        """{"Kind":"service-resolver","Name":"web","Subsets":{"v2":{"Filter":"\"v2\" in Service.Tags"}},"Failover":{"v2":{"Datacenters":["dc2"]}}}""",
        """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":80,"ServiceSubset":"v2"},{"Weight":20,"Service":"api"}]}""",
    ];

    /// <summary>What web's chain reaches, and web's own cluster.</summary>
    private static readonly string[] WebReach = ["api", "web", "web~v2", "web~v2/failover", "web~v2@dc2"];

    private ulong _index = 100;

    [Test]
    public async Task Scoped_envoy_gets_what_its_services_chains_reach_and_nothing_else()
    {
        await using var server = await StartAsync();
        var web = server.Sotw(Scoped(AdsNodes.Envoy("web-caller"), "web"));
        await web.SubscribeAsync(TypeUrls.Cluster, []);
        var clusters = await web.NextAsync(Wait);
        Assert.That(clusters.ResourceNames(), Is.EquivalentTo(WebReach));
        await web.AckAsync(clusters);

        await web.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web~v2", "web~v2@dc2", "api", "db"]);
        var response = await web.NextAsync(Wait);
        var assignments = response.Unpack<ClusterLoadAssignment>().ToDictionary(a => a.ClusterName);
        Assert.Multiple(() =>
        {
            Assert.That(Addresses(assignments["web~v2"]), Is.EqualTo(new[] { "10.0.0.2" }));
            Assert.That(Addresses(assignments["web~v2@dc2"]), Is.EqualTo(new[] { "203.0.113.2" }));
            Assert.That(Addresses(assignments["api"]), Is.EqualTo(new[] { "10.0.1.1" }));
            Assert.That(assignments["db"].Endpoints, Is.Empty, "db is not reached by web's chain");
        });

        var api = server.Sotw(Scoped(AdsNodes.Envoy("api-caller"), "api"));
        await api.SubscribeAsync(TypeUrls.Cluster, []);
        Assert.That((await api.NextAsync(Wait)).ResourceNames(), Is.EqualTo(new[] { "api" }), "api has no chain: nothing of web's");
    }

    [Test]
    public async Task A_change_to_a_target_reaches_nodes_scoped_to_the_chain_only()
    {
        await using var server = await StartAsync();
        var web = server.Sotw(Scoped(AdsNodes.Envoy("web-caller"), "web"));
        var db = server.Sotw(Scoped(AdsNodes.Envoy("db-caller"), "db"));
        var webClusters = server.Sotw(Scoped(AdsNodes.Envoy("web-clusters-only"), "web"));
        foreach (var client in new[] { web, db, webClusters })
        {
            await client.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);
        }

        await web.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web~v2"], Wait);
        await db.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["db"], Wait);

        server.Consul.Apply(new TargetEntriesObserved(new HealthQuery("web", "", V2), ++_index, [Web("10.0.0.2", "v2"), Web("10.0.0.7", "v2")]));

        var pushed = await web.NextAsync(Wait);
        Assert.That(Addresses(pushed.Unpack<ClusterLoadAssignment>().Single()), Is.EquivalentTo(new[] { "10.0.0.2", "10.0.0.7" }));

        await web.AckAsync(pushed);

        // A cluster only the chain names changes (the resolver's connect timeout): a node holding nothing of it but
        // the wildcard of its scope hears of it.
        ApplyEntries(server, [.. Entries.Select(e => e.Replace("\"Failover\"", "\"ConnectTimeout\":\"2s\",\"Failover\""))]);
        var clusters = await webClusters.NextAsync(Wait);
        Assert.That(clusters.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        Assert.That(clusters.Unpack<Envoy.Config.Cluster.V3.Cluster>().Single(c => c.Name == "web~v2").ConnectTimeout.Seconds, Is.EqualTo(2));

        // db's node hears of the next change to db, and of nothing before it.
        server.Consul.SetService("db", new TestInstance("10.0.2.9", 5432));
        var next = await db.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "db" }));
    }

    [Test]
    public async Task A_new_chain_sends_its_clusters_before_the_route_that_names_them()
    {
        await using var server = await StartAsync(withEntries: false);
        var web = server.Sotw(Scoped(AdsNodes.Envoy("web-caller"), "web"));
        await web.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);
        await web.SubscribeAckedAsync(TypeUrls.RouteConfiguration, [new XdsOptions().EnvoyListenerName], Wait);

        ApplyEntries(server, Entries);
        Targets(server);

        var first = await web.NextAsync(Wait);
        Assert.That(first.TypeUrl, Is.EqualTo(TypeUrls.Cluster), "a route naming a cluster the proxy does not have yet sends traffic nowhere");
        Assert.That(first.ResourceNames(), Is.EquivalentTo(WebReach));
        await web.AckAsync(first);
        var route = await web.NextAsync(Wait);
        var weighted = route.Unpack<RouteConfiguration>().Single().VirtualHosts.Single().Routes.Single().Route_.WeightedClusters;
        Assert.That(weighted.Clusters.Select(c => c.Name), Is.EqualTo(new[] { "web~v2/failover", "api" }));
    }

    [Test]
    public async Task Scoped_delta_and_grpc_nodes_see_the_chain_too()
    {
        await using var server = await StartAsync();
        var delta = server.Delta(Scoped(AdsNodes.Envoy("web-delta"), "web"));
        await delta.SubscribeAsync(TypeUrls.Cluster, ["*"]);
        Assert.That((await delta.NextAsync(Wait)).Resources.Select(r => r.Name), Is.EquivalentTo(WebReach));

        var grpc = server.Sotw(Scoped(AdsNodes.Grpc("web-grpc"), "web"));
        await grpc.SubscribeAsync(TypeUrls.Cluster, ["web~v2/failover", "web~v2", "web~v2@dc2", "api", "db"]);
        Assert.That((await grpc.NextAsync(Wait)).ResourceNames(), Is.EquivalentTo(new[] { "api", "web~v2", "web~v2/failover", "web~v2@dc2" }));
    }

    private async Task<InProcessBridge> StartAsync(bool withEntries = true)
    {
        var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(
            ("web", [new TestInstance("10.0.0.1", 8080), new TestInstance("10.0.0.2", 8080)]),
            ("api", [new TestInstance("10.0.1.1", 9090)]),
            ("db", [new TestInstance("10.0.2.1", 5432)]));
        if (withEntries)
        {
            ApplyEntries(server, Entries);
            Targets(server);
        }

        return server;
    }

    /// <summary>What Consul answers for the chain's target reads: web's v2 subset here, and web in dc2 (at its WAN address).</summary>
    private void Targets(InProcessBridge server) => server.Consul.Apply(
        new TargetEntriesObserved(new HealthQuery("web", "", V2), ++_index, [Web("10.0.0.2", "v2")]),
        new TargetEntriesObserved(new HealthQuery("web", "dc2", V2), ++_index,
        [
            new HealthServiceEntry
            {
                Node = new ConsulNode { Node = "dc2-n1", Address = "192.168.2.2", Datacenter = "dc2", TaggedAddresses = new Dictionary<string, string> { ["wan"] = "203.0.113.2" } },
                Service = new AgentService { ID = "web-dc2", Service = "web", Port = 8080, Tags = ["v2"] },
                Checks = [],
            },
        ]));

    private void ApplyEntries(InProcessBridge server, string[] entries) => server.Consul.Apply(ConsulFeed.ConfigEntries(++_index, entries));

    private static HealthServiceEntry Web(string address, string tag) => new()
    {
        Node = new ConsulNode { Node = "node-" + address, Address = address, Datacenter = "dc1" },
        Service = new AgentService { ID = "web-" + address + ":8080", Service = "web", Address = address, Port = 8080, Tags = [tag] },
        Checks = [new HealthCheck { CheckID = "serfHealth", Status = "passing" }],
    };

    private static Node Scoped(Node node, string services)
    {
        node.Metadata.Fields["bridge.services"] = Value.ForString(services);
        return node;
    }

    private static IEnumerable<string> Addresses(ClusterLoadAssignment assignment) =>
        assignment.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => e.Endpoint.Address.SocketAddress.Address);
}
