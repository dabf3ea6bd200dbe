using Bridge.Core.Catalog.Chains;
using static Bridge.Tests.Catalog.Chains.ChainEntries;

namespace Bridge.Tests.Catalog.Chains;

public sealed class FailoverTests
{
    [Test]
    public void Failover_by_datacenters_lists_one_target_per_datacenter_in_order_without_the_target_itself()
    {
        var chain = Compiled("web", Set("""{"Kind":"service-resolver","Name":"web","Failover":{"*":{"Datacenters":["dc3","dc1","dc2","dc3"]}}}"""));

        Assert.Multiple(() =>
        {
            Assert.That(chain.Target(T("web")).Failover, Is.EqualTo(new[] { T("web", "", "dc3"), T("web", "", "dc2") }));
            Assert.That(chain.Targets.Select(t => t.Id), Is.EqualTo(new[] { T("web"), T("web", "", "dc2"), T("web", "", "dc3") }));
        });
    }

    [Test]
    public void Failover_targets_have_no_failover_of_their_own()
    {
        var chain = Compiled("web", Set("""{"Kind":"service-resolver","Name":"web","Failover":{"*":{"Datacenters":["dc2"]}}}"""));

        Assert.That(chain.Target(T("web", "", "dc2")), Is.EqualTo(Plain(T("web", "", "dc2"))));
    }

    [Test]
    public void Failover_targets_get_their_resolvers_redirect_and_default_subset_but_not_its_failover()
    {
        var chain = Compiled("web", Set(
            """{"Kind":"service-resolver","Name":"web","Failover":{"*":{"Targets":[{"Service":"backup"},{"Service":"spare","Datacenter":"dc2"}]}}}""",
            """{"Kind":"service-resolver","Name":"backup","Redirect":{"Service":"archive"}}""",
            """{"Kind":"service-resolver","Name":"spare","DefaultSubset":"warm","Subsets":{"warm":{"Filter":"\"warm\" in Service.Tags"}},"Failover":{"*":{"Datacenters":["dc9"]}}}"""));

        Assert.Multiple(() =>
        {
            Assert.That(chain.Target(T("web")).Failover, Is.EqualTo(new[] { T("archive"), T("spare", "warm", "dc2") }));
            Assert.That(chain.Target(T("spare", "warm", "dc2")).Failover, Is.Empty);
            Assert.That(chain.Targets.Select(t => t.Id), Is.EqualTo(new[] { T("archive"), T("spare", "warm", "dc2"), T("web") }));
        });
    }

    [Test]
    public void Failover_for_the_targets_subset_wins_over_the_wildcard()
    {
        var chain = Compiled("web", Set(
            Defaults("web", "http"),
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":50,"ServiceSubset":"v1"},{"Weight":50,"ServiceSubset":"v2"}]}""",
            """
            {"Kind":"service-resolver","Name":"web","Subsets":{"v1":{},"v2":{}},
             "Failover":{"v1":{"Datacenters":["dc2"]},"*":{"Datacenters":["dc3"]}}}
            """));

        Assert.Multiple(() =>
        {
            Assert.That(chain.Target(T("web", "v1")).Failover, Is.EqualTo(new[] { T("web", "v1", "dc2") }));
            Assert.That(chain.Target(T("web", "v2")).Failover, Is.EqualTo(new[] { T("web", "v2", "dc3") }));
        });
    }

    [Test]
    public void Failover_to_a_service_and_subset_without_datacenters_is_one_target_here()
    {
        var chain = Compiled("web", Set(
            """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{},"v0":{}},"DefaultSubset":"v1","Failover":{"v1":{"ServiceSubset":"v0"}}}"""));

        Assert.That(chain.Target(T("web", "v1")).Failover, Is.EqualTo(new[] { T("web", "v0") }));
    }

    [Test]
    public void Failover_to_another_service_by_datacenter_resets_the_subset()
    {
        var chain = Compiled("web", Set(
            """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{}},"DefaultSubset":"v1","Failover":{"*":{"Service":"web-dr","Datacenters":["dc2"]}}}"""));

        Assert.That(chain.Target(T("web", "v1")).Failover, Is.EqualTo(new[] { T("web-dr", "", "dc2") }));
    }

    [Test]
    public void Failover_that_leads_only_back_to_the_target_is_none()
    {
        var chain = Compiled("web", Set(
            """{"Kind":"service-resolver","Name":"web","Failover":{"*":{"Targets":[{"Service":"alias"}]}}}""",
            """{"Kind":"service-resolver","Name":"alias","Redirect":{"Service":"web"}}"""));

        Assert.Multiple(() =>
        {
            Assert.That(chain.Target(T("web")).Failover, Is.Empty);
            Assert.That(chain.Targets.Select(t => t.Id), Is.EqualTo(new[] { T("web") }));
        });
    }

    [Test]
    public void Target_reached_both_by_a_split_and_as_failover_keeps_its_own_failover()
    {
        var chain = Compiled("web", Set(
            Defaults("web", "http"),
            Defaults("api", "http"),
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":50},{"Weight":50,"Service":"api"}]}""",
            """{"Kind":"service-resolver","Name":"web","Failover":{"*":{"Targets":[{"Service":"api"}]}}}""",
            """{"Kind":"service-resolver","Name":"api","Failover":{"*":{"Datacenters":["dc2"]}}}"""));

        Assert.Multiple(() =>
        {
            Assert.That(chain.Target(T("web")).Failover, Is.EqualTo(new[] { T("api") }));
            Assert.That(chain.Target(T("api")).Failover, Is.EqualTo(new[] { T("api", "", "dc2") }));
        });
    }

    [Test]
    public void Failover_to_a_subset_that_does_not_exist_fails_naming_the_resolver()
    {
        var error = Failed("web", Set(
            """{"Kind":"service-resolver","Name":"web","Failover":{"*":{"Targets":[{"Service":"api","ServiceSubset":"gone"}]}}}""",
            """{"Kind":"service-resolver","Name":"api","Subsets":{"v1":{}}}"""));

        Assert.That(error, Is.EqualTo(new ChainError("web", "service-resolver", "web", "service \"api\" has no subset \"gone\" (its service-resolver defines \"v1\")")));
    }
}
