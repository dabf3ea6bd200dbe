using Bridge.Core.Consul;
using static Bridge.Tests.Catalog.Entries;

namespace Bridge.Tests.Catalog;

public sealed class InstanceFactoryTests
{
    [Test]
    public void Instance_carries_what_consul_reported()
    {
        var entry = Entry(
            "node-a", "web-1", address: "10.1.0.5", port: 9090, datacenter: "eu1",
            weights: new ServiceWeights { Passing = 10, Warning = 3 },
            nodeMeta: new Dictionary<string, string> { ["zone"] = "a" },
            meta: new Dictionary<string, string> { ["version"] = "2" });

        var instance = InstanceFactory.Build("web", [entry]).Single();

        Assert.Multiple(() =>
        {
            Assert.That(instance.Service, Is.EqualTo("web"));
            Assert.That(instance.Key, Is.EqualTo(new InstanceKey("node-a", "web-1")));
            Assert.That(instance.Address, Is.EqualTo("10.1.0.5"));
            Assert.That(instance.Port, Is.EqualTo(9090));
            Assert.That(instance.Datacenter, Is.EqualTo("eu1"));
            Assert.That(instance.PassingWeight, Is.EqualTo(10));
            Assert.That(instance.WarningWeight, Is.EqualTo(3));
            Assert.That(instance.NodeMeta, Does.ContainKey("zone").WithValue("a"));
            Assert.That(instance.Meta, Does.ContainKey("version").WithValue("2"));
            Assert.That(instance.Health, Is.EqualTo(HealthState.Passing));
        });
    }

    [TestCase(null)]
    [TestCase("")]
    public void Empty_service_address_falls_back_to_the_node_address(string? serviceAddress)
    {
        var entry = Entry("node-a", "web-1", nodeAddress: "10.9.9.9", address: serviceAddress);

        var instance = InstanceFactory.Build("web", [entry]).Single();

        Assert.That(instance.Address, Is.EqualTo("10.9.9.9"));
    }

    [Test]
    public void Service_address_wins_over_the_node_address()
    {
        var entry = Entry("node-a", "web-1", nodeAddress: "10.9.9.9", address: "172.16.0.4");

        var instance = InstanceFactory.Build("web", [entry]).Single();

        Assert.That(instance.Address, Is.EqualTo("172.16.0.4"));
    }

    [Test]
    public void Weights_default_to_one_when_consul_sends_none()
    {
        var instance = InstanceFactory.Build("web", [Entry("node-a", "web-1", weights: null)]).Single();

        Assert.That((instance.PassingWeight, instance.WarningWeight), Is.EqualTo((1, 1)));
    }

    [Test]
    public void Tags_are_de_duplicated_and_sorted_so_equal_sets_compare_equal()
    {
        var a = InstanceFactory.Build("web", [Entry("node-a", "web-1", tags: ["v2", "primary", "v2", "canary"])]).Single();
        var b = InstanceFactory.Build("web", [Entry("node-a", "web-1", tags: ["canary", "v2", "primary"])]).Single();

        Assert.Multiple(() =>
        {
            Assert.That(a.Tags, Is.EqualTo(new[] { "canary", "primary", "v2" }));
            Assert.That(a, Is.EqualTo(b));
        });
    }

    [Test]
    public void Datacenter_comes_from_the_node()
    {
        var entry = Entry("node-a", "web-1", datacenter: "dc-node");
        entry = entry with { Service = entry.Service! with { Namespace = "ignored" } };

        var instance = InstanceFactory.Build("web", [entry]).Single();

        Assert.That(instance.Datacenter, Is.EqualTo("dc-node"));
    }

    [Test]
    public void Same_service_id_on_two_nodes_is_two_instances()
    {
        var instances = InstanceFactory.Build("web", [Entry("node-b", "web"), Entry("node-a", "web")]);

        Assert.That(instances.Select(i => i.Key), Is.EqualTo(new[] { new InstanceKey("node-a", "web"), new InstanceKey("node-b", "web") }));
    }

    [Test]
    public void Instances_are_sorted_by_node_then_service_id()
    {
        var instances = InstanceFactory.Build("web", [Entry("n2", "b"), Entry("n1", "z"), Entry("n2", "a"), Entry("n1", "a")]);

        Assert.That(instances.Select(i => i.Key.ToString()), Is.EqualTo(new[] { "n1/a", "n1/z", "n2/a", "n2/b" }));
    }

    [Test]
    public void Duplicate_node_and_service_id_keeps_the_first_and_reports_it()
    {
        var reported = new List<(string Service, InstanceKey Key)>();

        var instances = InstanceFactory.Build(
            "web",
            [Entry("node-a", "web-1", port: 1111), Entry("node-a", "web-1", port: 2222)],
            (service, key) => reported.Add((service, key)));

        Assert.Multiple(() =>
        {
            Assert.That(instances.Select(i => i.Port), Is.EqualTo(new[] { 1111 }));
            Assert.That(reported, Is.EqualTo(new[] { ("web", new InstanceKey("node-a", "web-1")) }));
        });
    }

    [Test]
    public void Entries_missing_node_or_service_are_skipped()
    {
        var good = Entry("node-a", "web-1");
        HealthServiceEntry[] entries =
        [
            good with { Node = null },
            good with { Service = null },
            good with { Node = good.Node! with { Node = "" } },
            good with { Service = good.Service! with { ID = null } },
            Entry("node-b", "web-2"),
        ];

        var instances = InstanceFactory.Build("web", entries);

        Assert.That(instances.Select(i => i.Key), Is.EqualTo(new[] { new InstanceKey("node-b", "web-2") }));
    }

    [Test]
    public void Empty_entry_list_is_zero_instances()
    {
        Assert.That(InstanceFactory.Build("web", []), Is.Empty);
    }

    // ---- Aggregate health (reference §3) ------------------------------------------------------------

    private static IEnumerable<TestCaseData> AggregateCases()
    {
        yield return new TestCaseData(Array.Empty<HealthCheck>(), HealthState.Passing).SetName("No_checks_is_passing");
        yield return new TestCaseData(new[] { NodeCheck("passing"), Check("passing") }, HealthState.Passing).SetName("All_passing_is_passing");
        yield return new TestCaseData(new[] { NodeCheck("passing"), Check("warning") }, HealthState.Warning).SetName("Warning_beats_passing");
        yield return new TestCaseData(new[] { Check("warning"), NodeCheck("critical"), Check("passing") }, HealthState.Critical).SetName("Critical_beats_warning");
        yield return new TestCaseData(new[] { NodeCheck("critical"), Check("warning") }, HealthState.Critical).SetName("Critical_node_check_makes_the_instance_critical");
        yield return new TestCaseData(new[] { Check("critical"), NodeCheck("critical", "_node_maintenance") }, HealthState.Maintenance).SetName("Node_maintenance_beats_critical");
        yield return new TestCaseData(new[] { Check("critical", "_service_maintenance:web-1", "web-1"), Check("warning") }, HealthState.Maintenance).SetName("Service_maintenance_beats_critical");
        yield return new TestCaseData(new[] { Check("passing", "_service_maintenance:web-1", "web-1") }, HealthState.Maintenance).SetName("Maintenance_check_id_counts_whatever_its_status");
        yield return new TestCaseData(new[] { Check("critical", "_service_maintenance", "web-1") }, HealthState.Critical).SetName("Maintenance_prefix_needs_its_colon");
        yield return new TestCaseData(new[] { Check("passing"), Check("unknown") }, HealthState.Unknown).SetName("Unknown_status_is_unknown");
        yield return new TestCaseData(new[] { NodeCheck("critical", "_node_maintenance"), Check("bogus") }, HealthState.Unknown).SetName("Unknown_status_wins_even_over_maintenance");
        yield return new TestCaseData(new[] { Check("Passing") }, HealthState.Unknown).SetName("Status_is_case_sensitive_as_in_consul");
    }

    [TestCaseSource(nameof(AggregateCases))]
    public void Aggregate_health(HealthCheck[] checks, HealthState expected)
    {
        var instance = InstanceFactory.Build("web", [Entry("node-a", "web-1", checks: checks)]).Single();

        Assert.That(instance.Health, Is.EqualTo(expected));
    }

    [Test]
    public void Null_checks_is_passing()
    {
        var entry = Entry("node-a", "web-1") with { Checks = null };

        Assert.That(InstanceFactory.Build("web", [entry]).Single().Health, Is.EqualTo(HealthState.Passing));
    }
}
