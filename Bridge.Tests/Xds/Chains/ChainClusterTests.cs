using Bridge.Core.Xds.Chains;
using Bridge.Tests.Catalog.Chains;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using AggregateClusterConfig = Envoy.Extensions.Clusters.Aggregate.V3.ClusterConfig;
using static Bridge.Tests.Xds.Chains.ChainFixture;
using LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy;

namespace Bridge.Tests.Xds.Chains;

public sealed class ChainClusterTests
{
    private const string Subsets = """
        {"Kind":"service-resolver","Name":"web","DefaultSubset":"v1","Subsets":{"v1":{"Filter":"Service.Meta.version == v1"},"v2":{"Filter":"Service.Meta.version == v2"}},
         "ConnectTimeout":"2s"}
        """;

    [TestCase(ClientKind.Envoy)]
    [TestCase(ClientKind.Grpc)]
    public void Each_target_is_an_eds_cluster_over_ads_named_after_it_with_its_resolvers_connect_timeout(ClientKind kind)
    {
        var chain = Chain("web", Http("web"), Subsets, """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":90,"ServiceSubset":"v1"},{"Weight":10,"ServiceSubset":"v2"}]}""");

        var clusters = Clusters(chain, kind);

        Assert.That(clusters.Keys, Is.EquivalentTo(new[] { "web~v1", "web~v2" }));
        Assert.Multiple(() =>
        {
            foreach (var (name, cluster) in clusters)
            {
                Assert.That(cluster.Type, Is.EqualTo(Cluster.Types.DiscoveryType.Eds), name);
                Assert.That(cluster.EdsClusterConfig.ServiceName, Is.EqualTo(name), "the assignment is asked for by the cluster's name");
                Assert.That(cluster.EdsClusterConfig.EdsConfig.ConfigSourceSpecifierCase, Is.EqualTo(ConfigSource.ConfigSourceSpecifierOneofCase.Ads), name);
                Assert.That(cluster.ConnectTimeout.ToTimeSpan(), Is.EqualTo(TimeSpan.FromSeconds(2)), name);
                Assert.That(cluster.LbPolicy, Is.EqualTo(LbPolicy.RoundRobin), name);
            }
        });
    }

    [TestCase(ClientKind.Envoy)]
    [TestCase(ClientKind.Grpc)]
    public void A_target_its_resolver_does_not_shape_is_the_services_cluster_of_today(ClientKind kind)
    {
        // api's splitter reaches web, which has no resolver: web's cluster must stay what every client already holds.
        var chain = Chain("api", Http("api"), Http("web"), """{"Kind":"service-splitter","Name":"api","Splits":[{"Weight":50},{"Weight":50,"Service":"web"}]}""");
        var options = new XdsOptions { ConnectTimeout = TimeSpan.FromMilliseconds(1500) };
        var policy = ServicePolicy.Default with { ConnectTimeout = TimeSpan.FromMilliseconds(750), OutlierConsecutive5xx = 3 };
        var today = new ResourceTranslator(options, new FakeLogger()).Cluster(new CatalogService("web", 7, []), policy, kind);

        var clusters = Clusters(chain, kind, Translator(options: options), policyOf: s => s == "web" ? policy : ServicePolicy.Default);

        Assert.Multiple(() =>
        {
            Assert.That(clusters["web"], Is.EqualTo(Served(today)));
            Assert.That(clusters["api"].ConnectTimeout.ToTimeSpan(), Is.EqualTo(TimeSpan.FromMilliseconds(1500)), "no meta, no resolver: the setting");
        });
    }

    [Test]
    public void Envoy_speaks_http2_to_the_targets_of_an_http2_or_grpc_chain_and_grpc_clients_need_no_telling()
    {
        var chain = Chain("web", ChainEntries.Defaults("web", "grpc"), Subsets);

        var envoy = Clusters(chain, ClientKind.Envoy)["web~v1"];
        var grpc = Clusters(chain, ClientKind.Grpc)["web~v1"];

        Assert.Multiple(() =>
        {
            Assert.That(envoy.TypedExtensionProtocolOptions.Keys, Is.EquivalentTo(new[] { ResourceTranslator.UpstreamHttpProtocolOptionsKey }));
            Assert.That(
                envoy.TypedExtensionProtocolOptions[ResourceTranslator.UpstreamHttpProtocolOptionsKey]
                    .Unpack<Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions>().ExplicitHttpConfig.Http2ProtocolOptions,
                Is.Not.Null);
            Assert.That(grpc.TypedExtensionProtocolOptions, Is.Empty);
        });
    }

    [Test]
    public void Envoy_gets_the_resolvers_ring_hash_with_its_ring_sizes_capped_where_envoy_and_grpc_reject_them()
    {
        var chain = Chain("web", """{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"ring_hash","RingHashConfig":{"MinimumRingSize":1024,"MaximumRingSize":9000000}}}""");
        var notes = new List<ChainNote>();

        var cluster = Clusters(chain, ClientKind.Envoy, notes: notes)["web"];

        Assert.Multiple(() =>
        {
            Assert.That(cluster.LbPolicy, Is.EqualTo(LbPolicy.RingHash));
            Assert.That(cluster.RingHashLbConfig.HashFunction, Is.EqualTo(Cluster.Types.RingHashLbConfig.Types.HashFunction.XxHash));
            Assert.That(cluster.RingHashLbConfig.MinimumRingSize, Is.EqualTo(1024));
            Assert.That(cluster.RingHashLbConfig.MaximumRingSize, Is.EqualTo(ChainTranslator.MaxRingSize));
            Assert.That(notes.Single().What, Does.Contain("maximum size 9000000"));
            Assert.That(notes.Single().Kind, Is.EqualTo(ClientKind.Envoy));
        });
    }

    [Test]
    public void A_minimum_ring_above_the_maximum_is_lowered_to_it()
    {
        var chain = Chain("web", """{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"ring_hash","RingHashConfig":{"MinimumRingSize":4096,"MaximumRingSize":2048}}}""");
        var notes = new List<ChainNote>();

        var config = Clusters(chain, ClientKind.Envoy, notes: notes)["web"].RingHashLbConfig;

        Assert.Multiple(() =>
        {
            Assert.That((config.MinimumRingSize, config.MaximumRingSize), Is.EqualTo((2048UL, 2048UL)));
            Assert.That(notes.Single().What, Does.Contain("minimum size 4096 is above the maximum 2048"));
        });
    }

    [TestCase("least_request", LbPolicy.LeastRequest)]
    [TestCase("random", LbPolicy.Random)]
    [TestCase("maglev", LbPolicy.Maglev)]
    [TestCase("round_robin", LbPolicy.RoundRobin)]
    public void Envoy_gets_each_policy_as_asked(string policy, LbPolicy expected)
    {
        var chain = Chain("web", $$$"""{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"{{{policy}}}"}}""");

        Assert.That(Clusters(chain, ClientKind.Envoy)["web"].LbPolicy, Is.EqualTo(expected));
    }

    [Test]
    public void Least_request_carries_its_choice_count_and_one_below_envoys_minimum_is_left_to_envoys_default()
    {
        var three = Chain("web", """{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"least_request","LeastRequestConfig":{"ChoiceCount":3}}}""");
        var one = Chain("web", """{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"least_request","LeastRequestConfig":{"ChoiceCount":1}}}""");
        var notes = new List<ChainNote>();

        Assert.Multiple(() =>
        {
            Assert.That(Clusters(three, ClientKind.Envoy)["web"].LeastRequestLbConfig.ChoiceCount, Is.EqualTo(3));
            Assert.That(Clusters(one, ClientKind.Envoy, notes: notes)["web"].LeastRequestLbConfig, Is.Null);
            Assert.That(notes.Single().What, Does.Contain("choice count 1"));
        });
    }

    [TestCase("least_request")]
    [TestCase("random")]
    [TestCase("ring_hash")]
    [TestCase("maglev")]
    public void Grpc_clients_get_round_robin_for_every_other_policy_and_a_note_saying_so(string policy)
    {
        var chain = Chain("web", $$$"""{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"{{{policy}}}"}}""");
        var notes = new List<ChainNote>();

        var cluster = Clusters(chain, ClientKind.Grpc, notes: notes)["web"];

        Assert.Multiple(() =>
        {
            Assert.That(cluster.LbPolicy, Is.EqualTo(LbPolicy.RoundRobin));
            Assert.That(cluster.RingHashLbConfig, Is.Null);
            Assert.That(cluster.LeastRequestLbConfig, Is.Null);
            Assert.That(notes.Single(), Is.EqualTo(notes.Single() with { Chain = "web", Kind = ClientKind.Grpc, Where = "target web.dc1" }));
            Assert.That(notes.Single().What, Does.StartWith($"load balancer {policy} is served as round_robin"));
        });
    }

    [TestCase("ring_hash")]
    [TestCase("maglev")]
    public void With_grpc_ring_hash_on_grpc_clients_get_ring_hash_for_ring_hash_and_maglev(string policy)
    {
        var chain = Chain("web", $$$"""{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"{{{policy}}}"}}""");
        var notes = new List<ChainNote>();

        var cluster = Clusters(chain, ClientKind.Grpc, Translator(grpcRingHash: true), notes)["web"];

        Assert.Multiple(() =>
        {
            Assert.That(cluster.LbPolicy, Is.EqualTo(LbPolicy.RingHash));
            Assert.That(cluster.RingHashLbConfig.HashFunction, Is.EqualTo(Cluster.Types.RingHashLbConfig.Types.HashFunction.XxHash), "the only hash function gRPC takes");
            Assert.That(notes.Select(n => n.What), policy == "maglev" ? Has.One.Contains("maglev is served as ring_hash") : Is.Empty);
        });
    }

    [TestCase(ClientKind.Envoy, LbPolicy.ClusterProvided)]
    [TestCase(ClientKind.Grpc, LbPolicy.RoundRobin)]
    public void Failover_is_an_aggregate_cluster_over_the_target_then_its_failover_targets_in_order(ClientKind kind, LbPolicy aggregatePolicy)
    {
        var chain = Chain(
            "web",
            """{"Kind":"service-resolver","Name":"web","ConnectTimeout":"3s","Failover":{"*":{"Targets":[{"Datacenter":"dc3"},{"Service":"backup"},{"Datacenter":"dc2"}]}}}""");

        var clusters = Clusters(chain, kind);

        var aggregate = clusters["web/failover"];
        Assert.Multiple(() =>
        {
            Assert.That(clusters.Keys, Is.EquivalentTo(new[] { "web", "web/failover", "web@dc3", "web@dc2", "backup" }));
            Assert.That(aggregate.ClusterType.Name, Is.EqualTo("envoy.clusters.aggregate"));
            Assert.That(aggregate.ClusterType.TypedConfig.Unpack<AggregateClusterConfig>().Clusters, Is.EqualTo(new[] { "web", "web@dc3", "backup", "web@dc2" }));
            Assert.That(aggregate.LbPolicy, Is.EqualTo(aggregatePolicy));
            Assert.That(aggregate.EdsClusterConfig, Is.Null);
            Assert.That(aggregate.ConnectTimeout.ToTimeSpan(), Is.EqualTo(TimeSpan.FromSeconds(3)));
            Assert.That(clusters["web@dc2"].EdsClusterConfig.ServiceName, Is.EqualTo("web@dc2"));
            Assert.That(ChainTranslator.ClusterNames(chain), Is.EquivalentTo(clusters.Keys));
        });
    }
}
