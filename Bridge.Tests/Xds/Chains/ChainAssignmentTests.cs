using Bridge.Core.Catalog.Chains;
using Bridge.Core.Consul;
using Bridge.Core.Xds.Chains;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using static Bridge.Tests.Xds.Chains.ChainFixture;
using static Bridge.Tests.Xds.ResourceTranslatorTests;

namespace Bridge.Tests.Xds.Chains;

public sealed class ChainAssignmentTests
{
    private const string Resolver = """
        {"Kind":"service-resolver","Name":"web",
         "Subsets":{"v1":{"Filter":"Service.Meta.version == v1"},"strict":{"Filter":"Service.Meta.version == v1","OnlyPassing":true}},
         "Failover":{"*":{"Datacenters":["dc2"]}}}
        """;

    private static readonly DiscoveryChain Splits = Chain(
        "web", Http("web"), Resolver, """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":50,"ServiceSubset":"v1"},{"Weight":50,"ServiceSubset":"strict"}]}""");

    [Test]
    public void An_assignment_is_named_after_its_targets_cluster_with_the_instances_as_endpoints()
    {
        var cla = Served(Translator().Assignment(Splits, new TargetId("web", "v1", Dc), [Instance("n1", "10.0.0.1", 8080), Instance("n2", "10.0.0.2", 9090)]));

        Assert.Multiple(() =>
        {
            Assert.That(cla.ClusterName, Is.EqualTo("web~v1"));
            Assert.That(Endpoints(cla).Select(e => (e.Endpoint.Address.SocketAddress.Address, e.Endpoint.Address.SocketAddress.PortValue)),
                Is.EquivalentTo(new[] { ("10.0.0.1", 8080u), ("10.0.0.2", 9090u) }));
            Assert.That(Endpoints(cla).Select(e => e.HealthStatus), Is.All.EqualTo(HealthStatus.Healthy));
        });
    }

    [TestCase(UnhealthyMapping.Exclude, new[] { "10.0.0.1" })]
    [TestCase(UnhealthyMapping.Unhealthy, new[] { "10.0.0.1", "10.0.0.2" })]
    public void A_subset_with_only_passing_treats_instances_with_a_warning_as_critical(UnhealthyMapping unhealthy, string[] served)
    {
        var translator = Translator(options: new XdsOptions { Unhealthy = unhealthy });
        ServiceInstance[] instances = [Instance("n1", "10.0.0.1"), Instance("n2", "10.0.0.2", health: HealthState.Warning)];

        var strict = Served(translator.Assignment(Splits, new TargetId("web", "strict", Dc), instances));
        var lenient = Served(translator.Assignment(Splits, new TargetId("web", "v1", Dc), instances));

        Assert.Multiple(() =>
        {
            Assert.That(Endpoints(strict).Select(e => e.Endpoint.Address.SocketAddress.Address), Is.EquivalentTo(served));
            Assert.That(Endpoints(strict).Where(e => e.Endpoint.Address.SocketAddress.Address == "10.0.0.2").Select(e => e.HealthStatus),
                Is.All.EqualTo(HealthStatus.Unhealthy));
            Assert.That(Endpoints(lenient).Select(e => (e.Endpoint.Address.SocketAddress.Address, e.HealthStatus)),
                Is.EquivalentTo(new[] { ("10.0.0.1", HealthStatus.Healthy), ("10.0.0.2", HealthStatus.Healthy) }), "warning is healthy by default");
        });
    }

    [Test]
    public void Instances_in_another_datacenter_are_reached_at_their_wan_address_and_local_ones_at_their_own()
    {
        var wan = new Dictionary<string, InstanceAddress> { ["n1"] = new("203.0.113.1", 21000), ["n9"] = new("203.0.113.9", 8080) };
        InstanceAddress? Wan(ServiceInstance i) => wan.TryGetValue(i.Key.Node, out var a) ? a : null;

        var remote = Served(Translator().Assignment(
            Splits, new TargetId("web", "v1", "dc2"), [Instance("n1", "10.1.0.1", dc: "dc2"), Instance("n2", "10.1.0.2", dc: "dc2")], Wan));
        var local = Served(Translator().Assignment(Splits, new TargetId("web", "v1", Dc), [Instance("n9", "10.0.0.9")], Wan));

        Assert.Multiple(() =>
        {
            Assert.That(remote.ClusterName, Is.EqualTo("web~v1@dc2"));
            Assert.That(Endpoints(remote).Select(e => (e.Endpoint.Address.SocketAddress.Address, e.Endpoint.Address.SocketAddress.PortValue)),
                Is.EquivalentTo(new[] { ("203.0.113.1", 21000u), ("10.1.0.2", 8080u) }), "an instance with no WAN address keeps its own");
            Assert.That(remote.Endpoints.Select(l => l.Locality.Region), Is.All.EqualTo("dc2"));
            Assert.That(Endpoints(local).Single().Endpoint.Address.SocketAddress.Address, Is.EqualTo("10.0.0.9"));
        });
    }

    [Test]
    public void Instances_that_cannot_be_endpoints_are_left_out_and_told()
    {
        var leftOut = new List<SkippedInstance>();

        var cla = Served(Translator().Assignment(Splits, new TargetId("web", "v1", Dc), [Instance("n1", "10.0.0.1"), Instance("n2", "web.example", id: "web-2")], leftOut: leftOut));

        Assert.Multiple(() =>
        {
            Assert.That(Endpoints(cla).Select(e => e.Endpoint.Address.SocketAddress.Address), Is.EqualTo(new[] { "10.0.0.1" }));
            Assert.That(leftOut, Is.EqualTo(new[] { new SkippedInstance("n2", "web-2", "address", "web.example") }));
        });
    }

    private static List<LbEndpoint> Endpoints(ClusterLoadAssignment cla) => [.. cla.Endpoints.SelectMany(l => l.LbEndpoints)];
}
