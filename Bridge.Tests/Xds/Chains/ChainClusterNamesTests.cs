using Bridge.Core.Catalog.Chains;
using Bridge.Core.Xds.Chains;

namespace Bridge.Tests.Xds.Chains;

public sealed class ChainClusterNamesTests
{
    [TestCase("web", "", "dc1", "web")]
    [TestCase("web", "v2", "dc1", "web~v2")]
    [TestCase("web", "", "dc2", "web@dc2")]
    [TestCase("web", "v2", "dc2", "web~v2@dc2")]
    public void A_target_is_named_after_its_service_with_its_subset_and_a_datacenter_other_than_the_local_one(string service, string subset, string dc, string expected)
    {
        var target = new TargetId(service, subset, dc);

        Assert.Multiple(() =>
        {
            Assert.That(ChainClusterNames.Of(target, "dc1"), Is.EqualTo(expected));
            Assert.That(ChainClusterNames.Failover(target, "dc1"), Is.EqualTo(expected + "/failover"));
        });
    }

    [TestCase("web", "", "dc1")]
    [TestCase("web", "v2", "dc1")]
    [TestCase("web", "", "dc-2_east")]
    [TestCase("web", "canary-1", "dc2")]
    [TestCase("my-api", "v2", "dc2")]
    public void Every_name_reads_back_to_its_target_and_tells_a_failover_aggregate_apart(string service, string subset, string dc)
    {
        var target = new TargetId(service, subset, dc);

        Assert.Multiple(() =>
        {
            Assert.That(ChainClusterNames.Parse(ChainClusterNames.Of(target, "dc1"), "dc1"), Is.EqualTo((target, false)));
            Assert.That(ChainClusterNames.Parse(ChainClusterNames.Failover(target, "dc1"), "dc1"), Is.EqualTo((target, true)));
            Assert.That(ChainClusterNames.Service(ChainClusterNames.Failover(target, "dc1")), Is.EqualTo(service));
        });
    }

    [Test]
    public void A_subset_named_failover_is_not_taken_for_a_failover_aggregate()
    {
        var subset = new TargetId("web", "failover", "dc1");

        Assert.Multiple(() =>
        {
            Assert.That(ChainClusterNames.Of(subset, "dc1"), Is.Not.EqualTo(ChainClusterNames.Failover(new TargetId("web", "", "dc1"), "dc1")));
            Assert.That(ChainClusterNames.Parse("web~failover", "dc1"), Is.EqualTo((subset, false)));
        });
    }

    [TestCase("web", "web")]
    [TestCase("web~", "web~")]
    [TestCase("web~V2", "web~V2")]
    [TestCase("@dc2", "@dc2")]
    [TestCase("web@Dc2", "web@Dc2")]
    [TestCase("/failover", "/failover")]
    public void A_part_Consul_could_not_have_produced_stays_in_the_service_name(string name, string service)
    {
        var (target, failover) = ChainClusterNames.Parse(name, "dc1");

        Assert.Multiple(() =>
        {
            Assert.That(target, Is.EqualTo(new TargetId(service, "", "dc1")));
            Assert.That(failover, Is.False);
        });
    }
}
