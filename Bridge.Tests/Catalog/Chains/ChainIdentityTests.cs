using Bridge.Core.Catalog.Chains;
using Bridge.Core.Consul.ConfigEntries;
using static Bridge.Tests.Catalog.Chains.ChainEntries;

namespace Bridge.Tests.Catalog.Chains;

/// <summary>What the caller relies on: equal input gives equal chains, and a chain says what it reaches.</summary>
public sealed class ChainIdentityTests
{
    private static string[] Canary(decimal canaryWeight) =>
    [
        Defaults("web", "http"),
        Defaults("api", "http"),
        """{"Kind":"service-router","Name":"web","Routes":[{"Match":{"HTTP":{"PathPrefix":"/api","Header":[{"Name":"x-beta","Present":true}]}},"Destination":{"Service":"api","NumRetries":2}}]}""",
        $$"""{"Kind":"service-splitter","Name":"api","Splits":[{"Weight":{{100 - canaryWeight}},"ServiceSubset":"v1"},{"Weight":{{canaryWeight}},"ServiceSubset":"v2"}]}""",
        """{"Kind":"service-resolver","Name":"api","Subsets":{"v1":{"Filter":"Service.Meta.version == 1"},"v2":{"Filter":"Service.Meta.version == 2"}},"Failover":{"*":{"Datacenters":["dc2"]}},"LoadBalancer":{"Policy":"ring_hash","HashPolicies":[{"Field":"header","FieldValue":"x-user"}]}}""",
    ];

    [Test]
    public void Chains_compiled_from_separately_read_equal_entries_are_equal_by_value()
    {
        var first = Compiled("web", Set(Canary(10)));
        var second = Compiled("web", Set(Canary(10)));

        Assert.Multiple(() =>
        {
            Assert.That(second, Is.Not.SameAs(first));
            Assert.That(second, Is.EqualTo(first));
            Assert.That(second.GetHashCode(), Is.EqualTo(first.GetHashCode()));
        });
    }

    [Test]
    public void Chains_compiled_from_entries_listed_in_another_order_are_equal()
    {
        var entries = Canary(10);

        Assert.That(Compiled("web", Set([.. entries.Reverse()])), Is.EqualTo(Compiled("web", Set(entries))));
    }

    [Test]
    public void A_changed_weight_makes_a_different_chain()
    {
        Assert.That(Compiled("web", Set(Canary(20))), Is.Not.EqualTo(Compiled("web", Set(Canary(10)))));
    }

    [Test]
    public void Chain_lists_every_service_and_target_it_reaches_failover_included()
    {
        var chain = Compiled("web", Set(Canary(10)));

        Assert.Multiple(() =>
        {
            Assert.That(chain.Services, Is.EqualTo(new[] { "api", "web" }));
            Assert.That(chain.Targets.Select(t => t.Id), Is.EqualTo(new[]
            {
                T("api", "v1"), T("api", "v1", "dc2"), T("api", "v2"), T("api", "v2", "dc2"), T("web"),
            }));
            Assert.That(chain.Target(T("api", "v2", "dc2")).Subset, Is.EqualTo(new SubsetSelection("Service.Meta.version == 2", false)));
        });
    }

    [Test]
    public void Compile_all_gives_each_service_its_chain_and_one_broken_chain_costs_only_itself()
    {
        var entries = Set(
            Defaults("web", "http"),
            """{"Kind":"service-router","Name":"web"}""",
            """{"Kind":"service-router","Name":"db"}""");

        var chains = ChainCompiler.CompileAll(["web", "db", "cache", "web"], entries, Dc);

        Assert.Multiple(() =>
        {
            Assert.That(chains.Keys, Is.EqualTo(new[] { "cache", "db", "web" }));
            Assert.That(chains["web"].Chain!.IsDefault, Is.False);
            Assert.That(chains["cache"].Chain!.IsDefault, Is.True);
            Assert.That(chains["db"].Error, Is.EqualTo(new ChainError("db", "service-router", "db",
                "a service-router needs protocol http, http2 or grpc, but chain \"db\" speaks tcp (service \"db\", no service-defaults)")));
        });
    }

    [Test]
    public void Entry_breaking_consuls_rules_fails_the_chains_that_use_it_and_no_other()
    {
        var entries = Set(
            Defaults("web", "http"),
            Defaults("api", "http"),
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":60,"Service":"api"},{"Weight":60}]}""");

        Assert.Multiple(() =>
        {
            Assert.That(Failed("web", entries), Is.EqualTo(new ChainError("web", "service-splitter", "web", "Splits: the weights sum to 120, not 100")));
            Assert.That(Compiled("api", entries).IsDefault, Is.True);
        });
    }

    [Test]
    public void Entry_names_are_matched_without_regard_to_case_as_consul_stores_them()
    {
        var chain = Compiled("web", Set(
            """{"Kind":"service-defaults","Name":"WEB","Protocol":"http"}""",
            """{"Kind":"service-router","Name":"Web","Routes":[{"Match":{"HTTP":{"PathPrefix":"/x"}}}]}"""));

        Assert.That(chain.Routes.Count, Is.EqualTo(2));
    }

    [Test]
    public void Entry_set_names_every_service_with_an_entry_once()
    {
        var lists = ConfigEntryKinds.All.Select(kind => ConfigEntryDecoder.Decode(kind, Encoding.UTF8.GetBytes(kind switch
        {
            ConfigEntryKind.ServiceDefaults => """[{"Name":"web","Protocol":"http"},{"Name":"api"}]""",
            ConfigEntryKind.ServiceResolver => """[{"Name":"web"},{"Name":"db"}]""",
            _ => "null",
        })));

        Assert.That(ConfigEntrySet.Create(lists).ServiceNames, Is.EqualTo(new[] { "api", "db", "web" }));
    }
}
