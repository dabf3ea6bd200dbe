using Bridge.Core.Consul;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;

namespace Bridge.Tests.Xds;

public sealed class ResourceTranslatorTests
{
    private FakeLogger _log = null!;

    [SetUp]
    public void SetUp() => _log = new FakeLogger();

    // ---- Cluster ------------------------------------------------------------------------------------

    [Test]
    public void Cluster_is_a_round_robin_eds_cluster_fed_over_ads()
    {
        var options = new XdsOptions { ConnectTimeout = TimeSpan.FromMilliseconds(2500) };

        var packed = XdsResource.Create("web", Translator(options).Cluster(Service("web", Instance("n1", "10.0.0.1")), ServicePolicy.Default, ClientKind.Envoy)).Packed;
        var cluster = packed.Unpack<Cluster>();

        Assert.Multiple(() =>
        {
            Assert.That(packed.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
            Assert.That(cluster.Name, Is.EqualTo("web"));
            Assert.That(cluster.Type, Is.EqualTo(Cluster.Types.DiscoveryType.Eds));
            Assert.That(cluster.EdsClusterConfig.ServiceName, Is.EqualTo("web"));
            Assert.That(cluster.EdsClusterConfig.EdsConfig.ConfigSourceSpecifierCase, Is.EqualTo(ConfigSource.ConfigSourceSpecifierOneofCase.Ads));
            Assert.That(cluster.EdsClusterConfig.EdsConfig.ResourceApiVersion, Is.EqualTo(ApiVersion.V3));
            Assert.That(cluster.ConnectTimeout.ToTimeSpan(), Is.EqualTo(TimeSpan.FromMilliseconds(2500)));
            Assert.That(cluster.LbPolicy, Is.EqualTo(Cluster.Types.LbPolicy.RoundRobin));
        });
    }

    [TestCase(LoadBalancing.RingHash)]
    [TestCase(LoadBalancing.LeastRequest)]
    [TestCase(LoadBalancing.Random)]
    [TestCase(LoadBalancing.Maglev)]
    public void Grpc_clients_get_round_robin_for_every_other_policy_and_envoy_gets_it_as_asked(LoadBalancing asked)
    {
        var policy = ServicePolicy.Default with { LoadBalancing = asked };
        var service = Service("web", Instance("n1", "10.0.0.1"));

        var grpc = Translator().Cluster(service, policy, ClientKind.Grpc);
        var envoy = Translator().Cluster(service, policy, ClientKind.Envoy);

        Assert.Multiple(() =>
        {
            Assert.That(grpc.LbPolicy, Is.EqualTo(Cluster.Types.LbPolicy.RoundRobin), "gRPC clients");
            Assert.That(grpc.RingHashLbConfig, Is.Null, "no ring hash settings go with round robin");
            Assert.That(envoy.LbPolicy.ToString(), Is.EqualTo(asked.ToString()), "Envoy");
        });
    }

    // ---- ClusterLoadAssignment: shape ---------------------------------------------------------------

    [Test]
    public void Assignment_is_named_after_the_service_with_socket_addresses_and_ports()
    {
        var packed = XdsResource.Create("web", Translator().Assignment(Service("web", Instance("n1", "10.0.0.1", 8080), Instance("n2", "10.0.0.2", 9090)))).Packed;
        var cla = packed.Unpack<ClusterLoadAssignment>();

        Assert.Multiple(() =>
        {
            Assert.That(packed.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
            Assert.That(cla.ClusterName, Is.EqualTo("web"));
            Assert.That(Endpoints(cla).Select(e => Address(e)), Is.EqualTo(new[] { ("10.0.0.1", 8080u), ("10.0.0.2", 9090u) }));
        });
    }

    [Test]
    public void Localities_have_the_datacenter_as_region_and_the_zone_from_the_configured_node_meta_key()
    {
        var options = new XdsOptions { ZoneNodeMetaKey = "topology.zone" };
        var service = Service(
            "web",
            Instance("n1", "10.0.0.1", dc: "eu1", nodeMeta: new() { ["topology.zone"] = "eu1-a", ["zone"] = "not-this-one" }),
            Instance("n2", "10.0.0.2", dc: "eu1", nodeMeta: new() { ["topology.zone"] = "eu1-b" }),
            Instance("n3", "10.0.0.3", dc: "us1", nodeMeta: new() { ["topology.zone"] = "us1-a" }),
            Instance("n4", "10.0.0.4", dc: "us1"));

        var cla = Serve(Translator(options).Assignment(service));

        Assert.That(
            cla.Endpoints.Select(l => (l.Locality.Region, l.Locality.Zone, l.LbEndpoints.Single().Endpoint.Address.SocketAddress.Address)),
            Is.EquivalentTo(new[]
            {
                ("eu1", "eu1-a", "10.0.0.1"),
                ("eu1", "eu1-b", "10.0.0.2"),
                ("us1", "us1-a", "10.0.0.3"),
                ("us1", "", "10.0.0.4"),
            }));
    }

    [Test]
    public void Every_locality_and_every_endpoint_has_a_load_balancing_weight()
    {
        var options = new XdsOptions { Unhealthy = UnhealthyMapping.Unhealthy };
        var service = Service(
            "web",
            Instance("n1", "10.0.0.1", zone: "a"),
            Instance("n2", "10.0.0.2", zone: "a", passingWeight: 4),
            Instance("n3", "10.0.0.3", zone: "b", health: HealthState.Critical),
            Instance("n4", "10.0.0.4", zone: "c", health: HealthState.Warning, warningWeight: 2));

        var cla = Serve(Translator(options).Assignment(service));

        Assert.Multiple(() =>
        {
            Assert.That(cla.Endpoints, Is.Not.Empty);
            Assert.That(cla.Endpoints.Select(l => l.LoadBalancingWeight), Is.All.Not.Null.And.All.GreaterThanOrEqualTo(1u));
            Assert.That(Endpoints(cla).Select(e => e.LoadBalancingWeight), Is.All.Not.Null.And.All.GreaterThanOrEqualTo(1u));
            Assert.That(Endpoints(cla), Has.Count.EqualTo(4));
        });
    }

    [Test]
    public void Equal_weights_in_a_zone_share_one_locality_without_a_sub_zone()
    {
        var service = Service("web", Instance("n1", "10.0.0.1", zone: "a", passingWeight: 3), Instance("n2", "10.0.0.2", zone: "a", passingWeight: 3));

        var locality = Serve(Translator().Assignment(service)).Endpoints.Single();

        Assert.Multiple(() =>
        {
            Assert.That(locality.Locality.SubZone, Is.Empty);
            Assert.That(locality.LoadBalancingWeight, Is.EqualTo(6u));
            Assert.That(locality.LbEndpoints.Select(e => e.LoadBalancingWeight), Is.EqualTo(new uint?[] { 3, 3 }));
        });
    }

    [Test]
    public void Different_weights_in_a_zone_get_sub_zone_localities_weighted_by_their_sum()
    {
        var service = Service(
            "web",
            Instance("n1", "10.0.0.1", zone: "a", passingWeight: 1),
            Instance("n2", "10.0.0.2", zone: "a", passingWeight: 1),
            Instance("n3", "10.0.0.3", zone: "a", passingWeight: 5),
            Instance("n4", "10.0.0.4", zone: "b", passingWeight: 2));

        var cla = Serve(Translator().Assignment(service));

        var zoneA = cla.Endpoints.Where(l => l.Locality.Zone == "a").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(zoneA.Select(l => l.Locality.SubZone), Is.Unique.And.All.Not.Empty);
            Assert.That(
                zoneA.Select(l => (l.LoadBalancingWeight, l.LbEndpoints.Select(e => e.Endpoint.Address.SocketAddress.Address).ToArray())),
                Is.EquivalentTo(new (uint?, string[])[] { (2u, ["10.0.0.1", "10.0.0.2"]), (5u, ["10.0.0.3"]) }));
            Assert.That(cla.Endpoints.Single(l => l.Locality.Zone == "b").Locality.SubZone, Is.Empty, "a zone with one weight needs no sub-zones");
            Assert.That(cla.Endpoints.Single(l => l.Locality.Zone == "b").LoadBalancingWeight, Is.EqualTo(2u));
        });
    }

    [Test]
    public void Locality_weight_counts_only_healthy_endpoints()
    {
        var options = new XdsOptions { Unhealthy = UnhealthyMapping.Unhealthy };
        var service = Service(
            "web",
            Instance("n1", "10.0.0.1", passingWeight: 2),
            Instance("n2", "10.0.0.2", passingWeight: 2),
            Instance("n3", "10.0.0.3", passingWeight: 2, health: HealthState.Critical));

        var locality = Serve(Translator(options).Assignment(service)).Endpoints.Single();

        Assert.Multiple(() =>
        {
            Assert.That(locality.LbEndpoints, Has.Count.EqualTo(3));
            Assert.That(locality.LoadBalancingWeight, Is.EqualTo(4u));
        });
    }

    [Test]
    public void Heavy_weights_are_clamped_to_128_so_no_priority_sums_past_uint32()
    {
        // Envoy refuses an assignment for a ring-hash or maglev cluster whose endpoint weights, or locality weights,
        // sum past UINT32_MAX in one priority, and gRPC clients refuse such locality weights whatever the policy.
        // Three heavy instances were enough to have the service refused; served within 1-128, as Consul's own xDS
        // serves them, no catalog Consul can hold comes near.
        var options = new XdsOptions { Unhealthy = UnhealthyMapping.Unhealthy };
        var service = Service(
            "web",
            Instance("n1", "10.0.0.1", zone: "a", passingWeight: int.MaxValue),
            Instance("n2", "10.0.0.2", zone: "b", passingWeight: int.MaxValue),
            Instance("n3", "10.0.0.3", zone: "c", passingWeight: int.MaxValue - 1),
            Instance("n4", "10.0.0.4", zone: "c", passingWeight: 1),
            Instance("n5", "10.0.0.5", zone: "d", passingWeight: int.MaxValue, health: HealthState.Critical));

        var cla = Serve(Translator(options).Assignment(service));

        var weight = Endpoints(cla).ToDictionary(e => e.Endpoint.Address.SocketAddress.Address, e => (ulong)e.LoadBalancingWeight!.Value);
        Assert.Multiple(() =>
        {
            Assert.That(weight.Values.Aggregate(0UL, (a, w) => a + w), Is.LessThanOrEqualTo(uint.MaxValue), "endpoint weights");
            Assert.That(cla.Endpoints.Aggregate(0UL, (a, l) => a + l.LoadBalancingWeight!.Value), Is.LessThanOrEqualTo(uint.MaxValue), "locality weights");
            Assert.That(weight.Values, Is.All.GreaterThanOrEqualTo(1UL));
            Assert.That(weight["10.0.0.2"], Is.EqualTo(weight["10.0.0.1"]), "equal weights stay equal");
            Assert.That(weight["10.0.0.3"], Is.EqualTo(weight["10.0.0.1"]), "both past the clamp");
            Assert.That(weight["10.0.0.4"], Is.EqualTo(1UL), "the lightest keeps a weight of at least 1");
            Assert.That(weight["10.0.0.1"], Is.EqualTo(128UL));
            Assert.That(cla.Endpoints.Select(l => l.Locality.SubZone).Where(z => z.Length > 0), Is.EquivalentTo(new[] { "weight-128", "weight-1" }), "sub-zones by served weight");
        });
    }

    [Test]
    public void Service_without_usable_instances_has_an_assignment_with_no_endpoints()
    {
        var cla = Serve(Translator().Assignment(Service("web", Instance("n1", "10.0.0.1", health: HealthState.Critical))));

        Assert.Multiple(() =>
        {
            Assert.That(cla.ClusterName, Is.EqualTo("web"));
            Assert.That(cla.Endpoints, Is.Empty);
        });
    }

    // ---- Health mapping -----------------------------------------------------------------------------

    private const int PassingWeight = 7;
    private const int WarningWeight = 3;

    private static IEnumerable<TestCaseData> HealthMappingCases()
    {
        foreach (var warning in Enum.GetValues<WarningMapping>())
        {
            foreach (var unhealthy in Enum.GetValues<UnhealthyMapping>())
            {
                foreach (var state in Enum.GetValues<HealthState>())
                {
                    (HealthStatus Status, uint Weight)? expected = state switch
                    {
                        HealthState.Passing => (HealthStatus.Healthy, PassingWeight),
                        HealthState.Warning when warning == WarningMapping.Healthy => (HealthStatus.Healthy, WarningWeight),
                        HealthState.Warning => null,
                        _ when unhealthy == UnhealthyMapping.Unhealthy => (HealthStatus.Unhealthy, PassingWeight),
                        _ => null,
                    };
                    yield return new TestCaseData(warning, unhealthy, state, expected)
                        .SetName($"Health_{state}_with_warning_{warning}_and_unhealthy_{unhealthy}_is_{(expected is null ? "left_out" : expected.Value.Status.ToString())}");
                }
            }
        }
    }

    [TestCaseSource(nameof(HealthMappingCases))]
    public void Health_mapping(WarningMapping warning, UnhealthyMapping unhealthy, HealthState state, (HealthStatus Status, uint Weight)? expected)
    {
        var options = new XdsOptions { Warning = warning, Unhealthy = unhealthy };
        var service = Service("web", Instance("n1", "10.0.0.1", health: state, passingWeight: PassingWeight, warningWeight: WarningWeight));

        var served = Endpoints(Serve(Translator(options).Assignment(service))).Select(e => (e.HealthStatus, e.LoadBalancingWeight ?? 0)).ToList();

        Assert.That(served, expected is { } e ? Is.EqualTo(new[] { e }) : Is.Empty);
    }

    [Test]
    public void Warning_instance_with_warning_weight_zero_gets_no_traffic()
    {
        var service = Service("web", Instance("n1", "10.0.0.1", health: HealthState.Warning, warningWeight: 0), Instance("n2", "10.0.0.2"));

        var cla = Serve(Translator().Assignment(service));

        Assert.That(Endpoints(cla).Select(e => e.Endpoint.Address.SocketAddress.Address), Is.EqualTo(new[] { "10.0.0.2" }));
    }

    // ---- Instances left out -------------------------------------------------------------------------

    [TestCase("10.0.0.1", 0, "port", "0")]
    [TestCase("10.0.0.1", 70000, "port", "70000")]
    [TestCase("10.0.0.1", -1, "port", "-1")]
    [TestCase("web-1.service.consul", 8080, "address", "web-1.service.consul")]
    [TestCase("1", 8080, "address", "1")]
    [TestCase("127.1", 8080, "address", "127.1")]
    [TestCase("", 8080, "address", "")]
    [TestCase("fe80::1%3", 8080, "address", "fe80::1%3")]
    public void Invalid_instance_is_left_out_and_the_log_names_it(string address, int port, string field, string value)
    {
        var service = Service("web", Instance("node-bad", address, port, id: "web-bad"), Instance("node-good", "10.0.0.2", 8080));

        var leftOut = new List<SkippedInstance>();
        var cla = Serve(Translator().Assignment(service, leftOut));

        Assert.Multiple(() =>
        {
            Assert.That(Endpoints(cla).Select(e => Address(e)), Is.EqualTo(new[] { ("10.0.0.2", 8080u) }));
            Assert.That(leftOut, Is.EqualTo(new[] { new SkippedInstance("node-bad", "web-bad", field, value) }));
        });
    }

    [TestCase("010.1.2.3")]
    [TestCase("0x0a.1.2.3")]
    [TestCase("10.1.2.010")]
    public void Ipv4_with_octal_or_hex_parts_is_left_out_not_rewritten_to_another_address(string address)
    {
        // .NET reads "010.1.2.3" as 8.1.2.3 (octal) and "0x0a.1.2.3" as 10.1.2.3; Go's net.ParseIP and
        // Envoy's inet_pton refuse both. Serving the re-read value sends traffic to an address nobody registered.
        var service = Service("web", Instance("node-bad", address, id: "web-bad"), Instance("node-good", "10.0.0.2"));

        var leftOut = new List<SkippedInstance>();
        var cla = Serve(Translator().Assignment(service, leftOut));

        Assert.Multiple(() =>
        {
            Assert.That(Endpoints(cla).Select(e => e.Endpoint.Address.SocketAddress.Address), Is.EqualTo(new[] { "10.0.0.2" }));
            Assert.That(leftOut.Select(l => l.Value), Is.EqualTo(new[] { address }));
        });
    }

    [Test]
    public void Duplicate_address_and_port_is_left_out()
    {
        var service = Service(
            "web",
            Instance("n1", "10.0.0.1", 8080),
            Instance("n2", "10.0.0.1", 8080),
            Instance("n3", "10.0.0.1", 8081));

        var leftOut = new List<SkippedInstance>();
        var cla = Serve(Translator().Assignment(service, leftOut));

        Assert.Multiple(() =>
        {
            Assert.That(Endpoints(cla).Select(e => Address(e)), Is.EqualTo(new[] { ("10.0.0.1", 8080u), ("10.0.0.1", 8081u) }));
            Assert.That(leftOut, Is.EqualTo(new[] { new SkippedInstance("n2", "web-1", "address:port", "10.0.0.1:8080") }));
        });
    }

    [TestCase(UnhealthyMapping.Unhealthy)]
    [TestCase(UnhealthyMapping.Exclude)]
    public void Duplicate_address_keeps_the_healthiest_copy_whatever_the_node_order(UnhealthyMapping unhealthy)
    {
        // The first by node name is critical, the other passing: the passing one is what must be served.
        var service = Service(
            "web",
            Instance("a-node", "10.0.0.1", 8080, health: HealthState.Critical),
            Instance("b-node", "10.0.0.1", 8080));

        var cla = Serve(Translator(new XdsOptions { Unhealthy = unhealthy }).Assignment(service));

        var endpoint = Endpoints(cla).Single();
        Assert.That(endpoint.HealthStatus, Is.EqualTo(Envoy.Config.Core.V3.HealthStatus.Healthy));
    }

    [Test]
    public void Weights_are_clamped_to_what_consul_serves_envoy_and_sums_stay_within_32_bits()
    {
        var instances = Enumerable.Range(0, 1000)
            .Select(i => Instance($"n{i}", $"10.{i / 250}.{i % 250}.1", passingWeight: i % 2 == 0 ? long.MaxValue : 4294967295L))
            .ToArray();

        var cla = Serve(Translator().Assignment(Service("web", instances)));

        Assert.Multiple(() =>
        {
            Assert.That(Endpoints(cla).Select(e => e.LoadBalancingWeight), Is.All.EqualTo(128u));
            Assert.That(cla.Endpoints.Sum(l => (long)(l.LoadBalancingWeight ?? 0)), Is.EqualTo(128L * 1000).And.LessThanOrEqualTo(uint.MaxValue));
        });
    }

    // ---- IPv6 ---------------------------------------------------------------------------------------

    [Test]
    public void Ipv6_address_is_served_as_a_literal_with_its_port()
    {
        var cla = Serve(Translator().Assignment(Service("web", Instance("n1", "2001:db8::10", 8443))));

        Assert.That(Endpoints(cla).Select(e => Address(e)), Is.EqualTo(new[] { ("2001:db8::10", 8443u) }));
    }

    [Test]
    public void Ipv6_duplicate_in_another_spelling_is_left_out_and_logged_bracketed()
    {
        var service = Service("web", Instance("n1", "2001:db8::10", 8443), Instance("n2", "2001:0DB8:0:0::10", 8443));

        var leftOut = new List<SkippedInstance>();
        var cla = Serve(Translator().Assignment(service, leftOut));

        Assert.Multiple(() =>
        {
            Assert.That(Endpoints(cla), Has.Count.EqualTo(1));
            Assert.That(leftOut.Single().Value, Is.EqualTo("[2001:db8::10]:8443"));
        });
    }

    [Test]
    public void Ipv4_and_ipv6_instances_are_served_side_by_side()
    {
        var cla = Serve(Translator().Assignment(Service("web", Instance("n1", "10.0.0.1"), Instance("n2", "::1"))));

        Assert.That(Endpoints(cla).Select(e => e.Endpoint.Address.SocketAddress.Address), Is.EquivalentTo(new[] { "10.0.0.1", "::1" }));
    }

    // ---- Helpers ------------------------------------------------------------------------------------

    private ResourceTranslator Translator(XdsOptions? options = null) => new(options ?? new XdsOptions(), _log);

    /// <summary>What a client decodes: the resource through the same Any packing the cache serves.</summary>
    private static ClusterLoadAssignment Serve(ClusterLoadAssignment cla) =>
        XdsResource.Create(cla.ClusterName, cla).Packed.Unpack<ClusterLoadAssignment>();

    private static List<LbEndpoint> Endpoints(ClusterLoadAssignment cla) => [.. cla.Endpoints.SelectMany(l => l.LbEndpoints)];

    private static (string, uint) Address(LbEndpoint e) => (e.Endpoint.Address.SocketAddress.Address, e.Endpoint.Address.SocketAddress.PortValue);

    internal static CatalogService Service(string name, params ServiceInstance[] instances) =>
        new(name, 1, [.. instances.Select(i => i with { Service = name }).OrderBy(i => i.Key)]);

    internal static ServiceInstance Instance(
        string node,
        string address,
        long port = 8080,
        HealthState health = HealthState.Passing,
        long passingWeight = 1,
        long warningWeight = 1,
        string dc = "dc1",
        string? zone = null,
        Dictionary<string, string>? nodeMeta = null,
        string id = "web-1") => new()
        {
            Service = "web",
            Key = new InstanceKey(node, id),
            Address = address,
            Port = port,
            Health = health,
            PassingWeight = passingWeight,
            WarningWeight = warningWeight,
            Datacenter = dc,
            NodeMeta = (nodeMeta ?? (zone is null ? [] : new Dictionary<string, string> { ["zone"] = zone })).ToImmutableSortedDictionary(StringComparer.Ordinal),
        };
}
