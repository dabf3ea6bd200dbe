using Bridge.Core.Consul;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf;
using static Bridge.Tests.Catalog.Entries;
using AggregateClusterConfig = Envoy.Extensions.Clusters.Aggregate.V3.ClusterConfig;

namespace Bridge.Tests.Xds.Chains;

/// <summary>
/// Config entries through the catalog stage into served snapshots: a service with a chain is served its chain's
/// clusters, assignments and routes in place of its default resources, every other service exactly what it had.
/// </summary>
[NonParallelizable] // XdsResource.Serialisations is process-wide.
public sealed class ChainServingTests
{
    private const string V2 = "\"v2\" in Service.Tags";
    private const string Resolver = """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{"Filter":"\"v1\" in Service.Tags"},"v2":{"Filter":"\"v2\" in Service.Tags","OnlyPassing":true}}}""";
    private const string Split = """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":90,"ServiceSubset":"v1"},{"Weight":10,"ServiceSubset":"v2"}]}""";
    private const string WebHttp = """{"Kind":"service-defaults","Name":"web","Protocol":"http"}""";

    private static readonly HealthQuery V1Read = new("web", "", "\"v1\" in Service.Tags");
    private static readonly HealthQuery V2Read = new("web", "", V2);

    private FakeLogger<XdsCache> _log = null!;
    private CatalogStore _store = null!;
    private XdsCache _cache = null!;
    private ulong _index = 10;

    /// <summary>Scopes streams hold throughout: a route per scope, which must follow the chains of its own services.</summary>
    private static readonly Dictionary<string, IReadOnlySet<string>> Scopes = new(StringComparer.Ordinal)
    {
        ["web"] = new HashSet<string>(["web"], StringComparer.Ordinal),
        ["api+checkout"] = new HashSet<string>(["api", "checkout"], StringComparer.Ordinal),
        ["db"] = new HashSet<string>(["db"], StringComparer.Ordinal),
    };

    private List<IDisposable> _leases = [];

    [SetUp]
    public void SetUp()
    {
        _log = new FakeLogger<XdsCache>();
        _store = new CatalogStore(new FakeLogger<CatalogStore>(), new CatalogOptions { RemovalGuard = false });
        _cache = new XdsCache(new XdsOptions(), _log);
        _store.Subscribe(_cache.Apply);
        _store.Apply(
        [
            .. ConsulFeed.NoRouting(),
            new ServiceSetObserved(ImmutableSortedSet.Create(StringComparer.Ordinal, "api", "db", "web"), 1),
            new ServiceEntriesObserved("web", 2, [WebV1("10.0.0.1"), WebV2("10.0.0.2", "passing"), WebV2("10.0.0.3", "warning")]),
            new ServiceEntriesObserved("api", 3, [Entry("n4", "api-1", service: "api", nodeAddress: "10.0.1.1", port: 9090)]),
            new ServiceEntriesObserved("db", 4, [Entry("n5", "db-1", service: "db", nodeAddress: "10.0.2.1", port: 5432)]),
        ]);
        Assert.That(_cache.Current.Ready, Is.True);
        _leases = [.. Scopes.Select(kv => _cache.HoldScope(kv.Key, kv.Value)!)];
    }

    [TearDown]
    public void TearDown() => _leases.ForEach(lease => lease.Dispose());

    [Test]
    public void A_splitter_is_served_as_weighted_clusters_to_envoy_and_grpc_alike()
    {
        ApplyEntries(WebHttp, Resolver, Split);
        Subsets();

        var envoyHost = EnvoyRoute().VirtualHosts.Single(v => v.Name == "web");
        var grpcHost = Route(ClientKind.Grpc, "web").VirtualHosts.Single();
        Assert.Multiple(() =>
        {
            foreach (var host in new[] { envoyHost, grpcHost })
            {
                var weighted = host.Routes.Single().Route_.WeightedClusters;
                Assert.That(weighted.Clusters.Select(c => (c.Name, c.Weight)), Is.EqualTo(new[] { ("web~v1", (uint?)9000), ("web~v2", (uint?)1000) }));
                Assert.That(weighted.TotalWeight, Is.EqualTo(10000));
            }

            // Every cluster a route names is served to both kinds; other services keep their vhost's single route.
            foreach (var kind in new[] { ClientKind.Envoy, ClientKind.Grpc })
            {
                Assert.That(_cache.Current.Get(kind, TypeUrls.Cluster).ByName.Keys, Is.SupersetOf(new[] { "web~v1", "web~v2" }));
            }

            Assert.That(EnvoyRoute().VirtualHosts.Single(v => v.Name == "api").Routes.Single().Route_.Cluster, Is.EqualTo("api"));
        });
    }

    [Test]
    public void A_subset_is_a_cluster_whose_assignment_holds_only_the_instances_consul_selected()
    {
        ApplyEntries(WebHttp, Resolver, Split);
        Subsets();

        var v2 = Assignment("web~v2");
        var cluster = ClusterOf(ClientKind.Envoy, "web~v2");
        Assert.Multiple(() =>
        {
            Assert.That(cluster.EdsClusterConfig.ServiceName, Is.EqualTo("web~v2"));
            Assert.That(Endpoints(v2), Is.EqualTo(new[] { ("10.0.0.2", "Healthy") }),
                "only Consul's filtered instances, and with OnlyPassing a warning counts as critical (left out, as Xds:Unhealthy says)");
            Assert.That(Endpoints(Assignment("web")).Count(), Is.EqualTo(3), "the service's own cluster keeps every instance, warning included");
            Assert.That(Endpoints(Assignment("web~v1")), Is.EqualTo(new[] { ("10.0.0.1", "Healthy") }));
        });

        // A change to the subset's read reaches its assignment only.
        _store.Apply([new TargetEntriesObserved(V2Read, ++_index, [WebV2("10.0.0.2", "passing"), WebV2("10.0.0.4", "passing")])]);
        Assert.Multiple(() =>
        {
            Assert.That(Endpoints(Assignment("web~v2")), Is.EqualTo(new[] { ("10.0.0.2", "Healthy"), ("10.0.0.4", "Healthy") }));
            Assert.That(_cache.Current.MayHaveChanged(TypeUrls.ClusterLoadAssignment, "web~v2"), Is.True);
            Assert.That(_cache.Current.ChangedNames.Values.SelectMany(n => n), Is.EquivalentTo(new[] { "web~v2" }));
        });
    }

    [Test]
    public void A_failover_is_an_aggregate_over_the_local_then_the_remote_target_at_its_wan_address()
    {
        ApplyEntries("""{"Kind":"service-resolver","Name":"api","Failover":{"*":{"Datacenters":["dc2"]}}}""");
        _store.Apply([new TargetEntriesObserved(new HealthQuery("api", "dc2", ""), ++_index, [Remote("api-9", "192.168.9.1", "203.0.113.9")])]);

        var envoy = ClusterOf(ClientKind.Envoy, "api/failover");
        var grpc = ClusterOf(ClientKind.Grpc, "api/failover");
        Assert.Multiple(() =>
        {
            Assert.That(envoy.ClusterType.TypedConfig.Unpack<AggregateClusterConfig>().Clusters, Is.EqualTo(new[] { "api", "api@dc2" }));
            Assert.That(envoy.LbPolicy, Is.EqualTo(Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.ClusterProvided));
            Assert.That(grpc.LbPolicy, Is.EqualTo(Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RoundRobin), "gRPC validates the aggregate's own policy");
            Assert.That(Endpoints(Assignment("api@dc2")), Is.EqualTo(new[] { ("203.0.113.9", "Healthy") }), "another datacenter is reached at its WAN address");
            Assert.That(Route(ClientKind.Grpc, "api").VirtualHosts.Single().Routes.Single().Route_.Cluster, Is.EqualTo("api/failover"));
            Assert.That(EnvoyRoute().VirtualHosts.Single(v => v.Name == "api").Routes.Single().Route_.Cluster, Is.EqualTo("api/failover"));
        });
    }

    [Test]
    public void Instances_a_remote_read_cannot_serve_are_listed_under_its_cluster_logged_once_and_dropped_with_the_chain()
    {
        var dc2 = new HealthQuery("api", "dc2", "");
        var unreachable = Remote("api-8", "192.168.9.2", "not-an-address");
        ApplyEntries("""{"Kind":"service-resolver","Name":"api","Failover":{"*":{"Datacenters":["dc2"]}}}""");
        _store.Apply([new TargetEntriesObserved(dc2, ++_index, [Remote("api-9", "192.168.9.1", "203.0.113.9"), unreachable])]);
        _store.Apply([new TargetEntriesObserved(dc2, ++_index, [Remote("api-9", "192.168.9.1", "203.0.113.10"), unreachable])]);

        Assert.Multiple(() =>
        {
            Assert.That(Endpoints(Assignment("api@dc2")), Is.EqualTo(new[] { ("203.0.113.10", "Healthy") }));
            Assert.That(_cache.Current.LeftOut.GetValueOrDefault("api@dc2").Select(l => l.ServiceId), Is.EqualTo(new[] { "api-8" }));
            Assert.That(_log.WithEvent("InvalidInstanceSkipped").Select(e => (e.Fields()["Service"], e.Fields()["ServiceId"])), Is.EqualTo(new[] { ("api@dc2", "api-8") }),
                "once, under the cluster the read serves, however often the read changes");
        });
        AssertSameAsFresh("with an instance left out of a remote read");

        ApplyEntries();
        Assert.That(_cache.Current.LeftOut.ContainsKey("api@dc2"), Is.False, "the read is no longer served, nor listed");
    }

    [Test]
    public void Removing_the_entries_serves_exactly_the_default_resources_again()
    {
        var before = Versions(_cache.Current);
        ApplyEntries(WebHttp, Resolver, Split, """{"Kind":"service-resolver","Name":"api","Failover":{"*":{"Datacenters":["dc2"]}}}""");
        Subsets();
        _store.Apply([new TargetEntriesObserved(new HealthQuery("api", "dc2", ""), ++_index, [Remote("api-9", "192.168.9.1", "203.0.113.9")])]);
        Assert.That(Versions(_cache.Current), Is.Not.EqualTo(before));

        ApplyEntries();

        Assert.Multiple(() =>
        {
            Assert.That(Versions(_cache.Current), Is.EqualTo(before), "every resource, by name and bytes, as before the entries");
            Assert.That(_cache.Current.Chains.Owners, Is.Empty);
        });
    }

    [Test]
    public void Services_without_entries_keep_their_resources_byte_for_byte()
    {
        var before = Versions(_cache.Current);
        ApplyEntries(WebHttp, Resolver, Split);
        Subsets();

        var after = Versions(_cache.Current);
        Assert.Multiple(() =>
        {
            foreach (var ((kind, typeUrl, name), version) in before.Where(b => b.Key.Name is "api" or "db"))
            {
                Assert.That(after.GetValueOrDefault((kind, typeUrl, name)), Is.EqualTo(version), $"{kind} {typeUrl} {name}");
            }
        });
    }

    [Test]
    public void A_chain_proxies_would_reject_is_not_served_and_the_previous_one_stays()
    {
        ApplyEntries(WebHttp, Resolver, Split);
        Subsets();
        var served = Versions(_cache.Current);

        // Consul takes this regex; RE2 (Envoy's and gRPC's engine) does not.
        ApplyEntries(WebHttp, Resolver, Split, """
            {"Kind":"service-router","Name":"web","Routes":[{"Match":{"HTTP":{"PathRegex":"/(?=admin)"}},"Destination":{"ServiceSubset":"v2"}}]}
            """);

        Assert.Multiple(() =>
        {
            Assert.That(Versions(_cache.Current), Is.EqualTo(served));
            var logged = _log.WithEvent("ChainNotServed").Single();
            Assert.That(logged.Fields(), Does.ContainKey("Service").WithValue("web"));
            Assert.That(logged.Fields()["Problem"], Does.Contain("route 1").And.Contain("RE2"));
            Assert.That(_cache.Current.Chains.Rejected.Keys, Is.EqualTo(new[] { "web" }));
        });

        // Fixed: the new chain is served, the rejection forgotten.
        ApplyEntries(WebHttp, Resolver, Split, """
            {"Kind":"service-router","Name":"web","Routes":[{"Match":{"HTTP":{"PathPrefix":"/admin"}},"Destination":{"ServiceSubset":"v2"}}]}
            """);
        Assert.Multiple(() =>
        {
            Assert.That(EnvoyRoute().VirtualHosts.Single(v => v.Name == "web").Routes.First().Match.Prefix, Is.EqualTo("/admin"));
            Assert.That(_cache.Current.Chains.Rejected, Is.Empty);
        });
    }

    [Test]
    public void What_grpc_cannot_honour_is_logged_once_and_listed()
    {
        ApplyEntries(WebHttp, Resolver, """
            {"Kind":"service-router","Name":"web","Routes":[{"Match":{"HTTP":{"PathPrefix":"/","QueryParam":[{"Name":"canary","Present":true}]}},"Destination":{"ServiceSubset":"v2"}}]}
            """);
        Subsets();
        _store.Apply([new TargetEntriesObserved(V2Read, ++_index, [WebV2("10.0.0.2", "passing")])]);

        Assert.Multiple(() =>
        {
            Assert.That(_log.WithEvent("ChainPartNotSent").Select(e => e.Fields()["Kind"]), Is.EqualTo(new[] { "Grpc" }));
            Assert.That(_cache.Current.Chains.Notes["web"].Single().Where, Is.EqualTo("route 1"));
            Assert.That(Route(ClientKind.Grpc, "web").VirtualHosts.Single().Routes, Has.Count.EqualTo(1), "the query route is not sent, the catch-all is");
            Assert.That(EnvoyRoute().VirtualHosts.Single(v => v.Name == "web").Routes, Has.Count.EqualTo(2));
        });
    }

    [Test]
    public void Chains_applied_change_by_change_serve_what_a_fresh_build_serves()
    {
        // db calls web and api with limits, and web with a shorter connect timeout: its nodes' clusters follow every change.
        const string DbCalls = """
            {"Kind":"service-defaults","Name":"db","UpstreamConfig":{"Defaults":{"Limits":{"MaxConnections":8}},"Overrides":[{"Name":"web","ConnectTimeoutMs":250}]}}
            """;
        ApplyEntries(WebHttp, Resolver, Split, DbCalls, """{"Kind":"service-resolver","Name":"api","Failover":{"*":{"Datacenters":["dc2"]}}}""");
        Subsets();
        _store.Apply([new TargetEntriesObserved(new HealthQuery("api", "dc2", ""), ++_index, [Remote("api-9", "192.168.9.1", "203.0.113.9")])]);
        _store.Apply([new ServiceEntriesObserved("api", ++_index, [Entry("n4", "api-1", service: "api", nodeAddress: "10.0.1.2", port: 9090)])]);
        Assert.That(_cache.Current.Callers["db"].Envoy.Keys, Is.SupersetOf(new[] { "web~v1", "api@dc2" }).And.No.EqualTo("api/failover"),
            "limits apply to clusters with endpoints, not to an aggregate");
        AssertSameAsFresh("after subsets and failover");

        ApplyEntries(WebHttp, Resolver, DbCalls.Replace("250", "300", StringComparison.Ordinal),
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":50,"ServiceSubset":"v1"},{"Weight":50,"Service":"api"}]}""",
            """{"Kind":"service-defaults","Name":"api","Protocol":"http"}""");
        AssertSameAsFresh("after a split to another service");

        ApplyEntries(WebHttp);
        AssertSameAsFresh("after the entries went");
    }

    [Test]
    public void Ring_hash_reaches_grpc_clients_only_once_Xds_GrpcRingHash_is_on_and_leaves_with_it()
    {
        ApplyEntries(
            WebHttp,
            """{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"ring_hash","HashPolicies":[{"Field":"header","FieldValue":"x-user"}]}}""");
        var off = (ClusterOf(ClientKind.Grpc, "web").LbPolicy, Route(ClientKind.Grpc, "web").VirtualHosts.Single().Routes.Last().Route_.HashPolicy.Count);

        _cache.UpdateOptions(new XdsOptions { GrpcRingHash = true });
        var on = (ClusterOf(ClientKind.Grpc, "web").LbPolicy, Route(ClientKind.Grpc, "web").VirtualHosts.Single().Routes.Last().Route_.HashPolicy.Select(h => h.Header?.HeaderName).ToList());
        var envoy = ClusterOf(ClientKind.Envoy, "web").LbPolicy;

        _cache.UpdateOptions(new XdsOptions());
        var offAgain = ClusterOf(ClientKind.Grpc, "web").LbPolicy;

        Assert.Multiple(() =>
        {
            Assert.That(off, Is.EqualTo((Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RoundRobin, 0)), "gRPC C-core 1.51 crashes on RING_HASH: off by default");
            Assert.That(on.LbPolicy, Is.EqualTo(Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RingHash));
            Assert.That(on.Item2, Is.EqualTo(new[] { "x-user" }), "the header hash policy goes with it");
            Assert.That(envoy, Is.EqualTo(Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RingHash), "Envoy gets the resolver's policy either way");
            Assert.That(offAgain, Is.EqualTo(Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RoundRobin));
        });
    }

    /// <summary>checkout has no instances: its splitter sends callers to web and api, as Consul's virtual services do.</summary>
    private static readonly string[] Checkout =
    [
        WebHttp,
        """{"Kind":"service-defaults","Name":"api","Protocol":"http"}""",
        """{"Kind":"service-defaults","Name":"checkout","Protocol":"http"}""",
        """{"Kind":"service-splitter","Name":"checkout","Splits":[{"Weight":75,"Service":"web"},{"Weight":25,"Service":"api"}]}""",
    ];

    [Test]
    public void A_name_without_instances_whose_chain_leads_to_other_services_is_served_as_a_virtual_service()
    {
        ApplyEntries(Checkout);

        Assert.Multiple(() =>
        {
            var grpc = Route(ClientKind.Grpc, "checkout").VirtualHosts.Single().Routes.Single().Route_.WeightedClusters.Clusters;
            var envoy = EnvoyRoute().VirtualHosts.Single(v => v.Name == "checkout");
            Assert.That(grpc.Select(c => (c.Name, c.Weight)), Is.EqualTo(new[] { ("web", (uint?)7500), ("api", (uint?)2500) }));
            Assert.That(envoy.Routes.Single().Route_.WeightedClusters.Clusters.Select(c => c.Name), Is.EqualTo(new[] { "web", "api" }));
            Assert.That(envoy.Domains, Does.Contain("checkout.service.consul"));
            Assert.That(_cache.Current.Get(ClientKind.Grpc, TypeUrls.Listener).ByName.Keys, Does.Contain("checkout"));
            Assert.That(_cache.Current.Get(ClientKind.Envoy, TypeUrls.Cluster).ByName.Keys, Does.Not.Contain("checkout"), "no instances: no cluster of its own");
            Assert.That(_cache.Current.Virtuals, Is.EqualTo(new[] { "checkout" }));
        });
        AssertSameAsFresh("with a virtual service");

        ApplyEntries(WebHttp);
        Assert.Multiple(() =>
        {
            Assert.That(_cache.Current.Get(ClientKind.Grpc, TypeUrls.Listener).ByName.Keys, Does.Not.Contain("checkout"));
            Assert.That(_cache.Current.Get(ClientKind.Grpc, TypeUrls.RouteConfiguration).ByName.Keys, Does.Not.Contain("checkout"));
            Assert.That(EnvoyRoute().VirtualHosts.Select(v => v.Name), Does.Not.Contain("checkout"));
        });
        AssertSameAsFresh("after the virtual service's entries went");
    }

    [Test]
    public void A_chain_that_only_shapes_a_name_without_instances_is_not_served()
    {
        ApplyEntries("""{"Kind":"service-resolver","Name":"ghost","ConnectTimeout":"3s","Subsets":{"v1":{"Filter":"Service.Meta.v == 1"}},"DefaultSubset":"v1"}""");

        Assert.Multiple(() =>
        {
            Assert.That(_cache.Current.Get(ClientKind.Grpc, TypeUrls.Listener).ByName.Keys, Does.Not.Contain("ghost"));
            Assert.That(EnvoyRoute().VirtualHosts.Select(v => v.Name), Does.Not.Contain("ghost"));
            Assert.That(_cache.Current.Virtuals, Is.Empty);
        });
    }

    [Test]
    public void A_virtual_service_that_gains_instances_and_loses_them_again_keeps_its_chain_throughout()
    {
        ApplyEntries(Checkout);

        _store.Apply(
        [
            new ServiceSetObserved(ImmutableSortedSet.Create(StringComparer.Ordinal, "api", "checkout", "db", "web"), ++_index),
            new ServiceEntriesObserved("checkout", ++_index, [Entry("n9", "checkout-1", service: "checkout", nodeAddress: "10.0.9.1", port: 7070)]),
        ]);
        Assert.Multiple(() =>
        {
            Assert.That(_cache.Current.Virtuals, Is.Empty);
            Assert.That(Route(ClientKind.Grpc, "checkout").VirtualHosts.Single().Routes.Single().Route_.WeightedClusters, Is.Not.Null);
            Assert.That(_cache.Current.Get(ClientKind.Envoy, TypeUrls.Cluster).ByName.Keys, Does.Contain("checkout"));
        });
        AssertSameAsFresh("once it has instances");

        _store.Apply([new ServiceSetObserved(ImmutableSortedSet.Create(StringComparer.Ordinal, "api", "db", "web"), ++_index)]);
        Assert.Multiple(() =>
        {
            Assert.That(_cache.Current.Virtuals, Is.EqualTo(new[] { "checkout" }));
            Assert.That(_cache.Current.Tombstones, Does.Not.Contain("checkout"), "its chain, not an empty tombstone, is what gRPC clients keep");
            Assert.That(Route(ClientKind.Grpc, "checkout").VirtualHosts.Single().Routes.Single().Route_.WeightedClusters.Clusters.Select(c => c.Name),
                Is.EqualTo(new[] { "web", "api" }));
            Assert.That(_cache.Current.Get(ClientKind.Envoy, TypeUrls.Cluster).ByName.Keys, Does.Not.Contain("checkout"));
            Assert.That(_cache.Current.Get(ClientKind.Grpc, TypeUrls.Cluster).ByName.Keys, Does.Not.Contain("checkout"));
        });
        AssertSameAsFresh("after its instances left");
    }

    private void AssertSameAsFresh(string when)
    {
        var fresh = XdsCache.BuildFresh(new XdsOptions(), _store.Current, _log, Scopes);
        Assert.That(Versions(_cache.Current), Is.EqualTo(Versions(fresh)), when);
    }

    private void ApplyEntries(params string[] entries) => _store.Apply(ConsulFeed.ConfigEntries(++_index, entries));

    /// <summary>What Consul answers for web's subsets: it evaluates the filters itself.</summary>
    private void Subsets() => _store.Apply(
    [
        new TargetEntriesObserved(V1Read, ++_index, [WebV1("10.0.0.1")]),
        new TargetEntriesObserved(V2Read, ++_index, [WebV2("10.0.0.2", "passing"), WebV2("10.0.0.3", "warning")]),
    ]);

    private static HealthServiceEntry WebV1(string address) =>
        Entry("n-" + address, "web-" + address, nodeAddress: address, tags: ["v1"], checks: [Check("passing", serviceId: "web-" + address)]);

    private static HealthServiceEntry WebV2(string address, string status) =>
        Entry("n-" + address, "web-" + address, nodeAddress: address, tags: ["v2"], checks: [Check(status, serviceId: "web-" + address)]);

    private static HealthServiceEntry Remote(string id, string lan, string wan) => new()
    {
        Node = new ConsulNode { Node = "n-" + id, Address = lan, Datacenter = "dc2", TaggedAddresses = new Dictionary<string, string> { ["wan"] = wan } },
        Service = new AgentService { ID = id, Service = "api", Port = 9090, Tags = [] },
        Checks = [],
    };

    /// <summary>Every resource's version, the callers' clusters (under "caller &lt;name&gt;" as their type) and the scopes' routes included.</summary>
    private static Dictionary<(ClientKind Kind, string TypeUrl, string Name), string> Versions(XdsSnapshot snapshot) =>
        snapshot.Sets
            .SelectMany(set => set.Value.ByName.Select(r => ((set.Key.Kind, set.Key.TypeUrl, r.Key), r.Value.Version + (set.Value.Wildcard.Contains(r.Key) ? "*" : ""))))
            .Concat(snapshot.Callers.SelectMany(caller => new[] { ClientKind.Envoy, ClientKind.Grpc }.SelectMany(kind =>
                caller.Value.Of(kind).Select(r => ((kind, "caller " + caller.Key, r.Key), r.Value.Version)))))
            .Concat(snapshot.ScopedRoutes.Select(r => ((ClientKind.Envoy, "scoped route", r.Key), r.Value.Version)))
            .ToDictionary(kv => kv.Item1, kv => kv.Item2);

    private RouteConfiguration EnvoyRoute() => Route(ClientKind.Envoy, new XdsOptions().EnvoyListenerName);

    private RouteConfiguration Route(ClientKind kind, string name) =>
        (RouteConfiguration)_cache.Current.Get(kind, TypeUrls.RouteConfiguration).ByName[name].Message;

    private Envoy.Config.Cluster.V3.Cluster ClusterOf(ClientKind kind, string name) => (Envoy.Config.Cluster.V3.Cluster)_cache.Current.Get(kind, TypeUrls.Cluster).ByName[name].Message;

    private ClusterLoadAssignment Assignment(string name)
    {
        var envoy = _cache.Current.Get(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment).ByName[name];
        Assert.That(_cache.Current.Get(ClientKind.Grpc, TypeUrls.ClusterLoadAssignment).ByName[name].Version, Is.EqualTo(envoy.Version));
        return (ClusterLoadAssignment)envoy.Message;
    }

    private static IEnumerable<(string Address, string Health)> Endpoints(ClusterLoadAssignment assignment) =>
        assignment.Endpoints.SelectMany(l => l.LbEndpoints)
            .Select(e => (e.Endpoint.Address.SocketAddress.Address, e.HealthStatus.ToString()));
}
