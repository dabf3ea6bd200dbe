using Bridge.DevAgent;
using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Datacenters;

namespace Bridge.Tests.DevAgent;

/// <summary>Consul's index rules, checked on the catalog directly.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class CatalogIndexTests
{
    [Test]
    public void A_service_change_moves_its_own_index_and_the_services_table_only()
    {
        using var scope = new CatalogScope();
        var catalog = scope.Catalog;
        catalog.RegisterAgentService(new AgentServiceRegistration { Id = "a", Name = "alpha" });
        catalog.RegisterAgentService(new AgentServiceRegistration { Id = "b", Name = "beta" });
        var before = catalog.State;

        catalog.RegisterAgentService(new AgentServiceRegistration { Id = "b", Name = "beta", Port = 2 });
        var after = catalog.State;

        Assert.That(after.ServiceIndex("alpha"), Is.EqualTo(before.ServiceIndex("alpha")));
        Assert.That(after.ServiceIndex("beta"), Is.EqualTo(after.Index));
        Assert.That(after.ServicesIndex, Is.EqualTo(after.Index));
        Assert.That(after.ChecksIndex, Is.EqualTo(before.ChecksIndex));
    }

    [Test]
    public void A_check_change_moves_the_checks_table_and_its_service_but_not_the_services_table()
    {
        using var scope = new CatalogScope();
        var catalog = scope.Catalog;
        catalog.RegisterAgentService(new AgentServiceRegistration { Id = "a", Name = "alpha", Check = new AgentCheckRegistration { Ttl = TimeSpan.FromMinutes(1) } });
        var before = catalog.State;

        catalog.SetCheckStatus("service:a", CheckStatus.Passing);
        var after = catalog.State;

        Assert.That(after.ServiceIndex("alpha"), Is.EqualTo(after.Index));
        Assert.That(after.ChecksIndex, Is.EqualTo(after.Index));
        Assert.That(after.ServicesIndex, Is.EqualTo(before.ServicesIndex));
    }

    [Test]
    public void A_write_that_changes_nothing_moves_nothing()
    {
        using var scope = new CatalogScope();
        var catalog = scope.Catalog;
        var registration = new AgentServiceRegistration { Id = "a", Name = "alpha", Tags = ["x"], Check = new AgentCheckRegistration { Ttl = TimeSpan.FromMinutes(1), Status = "passing" } };
        catalog.RegisterAgentService(registration);
        var index = catalog.Index;

        catalog.RegisterAgentService(registration with { Tags = ["x"] });
        catalog.SetCheckStatus("service:a", CheckStatus.Passing);
        catalog.SetNodeMaintenance(enable: false);
        catalog.DeregisterAgentService("missing");

        Assert.That(catalog.Index, Is.EqualTo(index));
    }

    [Test]
    public void An_extinct_service_reports_the_extinction_index()
    {
        using var scope = new CatalogScope();
        var catalog = scope.Catalog;
        catalog.RegisterAgentService(new AgentServiceRegistration { Id = "a", Name = "alpha" });
        catalog.DeregisterAgentService("a");
        var extinct = catalog.State;

        catalog.RegisterAgentService(new AgentServiceRegistration { Id = "b", Name = "beta" });

        Assert.That(extinct.ServiceIndex("alpha"), Is.EqualTo(extinct.Index));
        Assert.That(catalog.State.ServiceIndex("alpha"), Is.EqualTo(extinct.Index), "other services do not move it");
        Assert.That(catalog.State.ServiceIndexes.ContainsKey("alpha"), Is.False);
    }

    [Test]
    public void A_node_change_moves_every_service_on_the_node()
    {
        using var scope = new CatalogScope();
        var catalog = scope.Catalog;
        catalog.RegisterCatalogEntry(new CatalogRegistration { Node = "n1", Address = "10.0.0.1", Service = new CatalogServiceRegistration { Service = "alpha" } });
        catalog.RegisterCatalogEntry(new CatalogRegistration { Node = "n1", Address = "10.0.0.1", Service = new CatalogServiceRegistration { Service = "beta" } });
        catalog.RegisterCatalogEntry(new CatalogRegistration { Node = "n2", Address = "10.0.0.2", Service = new CatalogServiceRegistration { Service = "gamma" } });
        var gamma = catalog.State.ServiceIndex("gamma");

        catalog.RegisterCatalogEntry(new CatalogRegistration { Node = "n1", Address = "10.0.0.11" });

        Assert.That(catalog.State.ServiceIndex("alpha"), Is.EqualTo(catalog.Index));
        Assert.That(catalog.State.ServiceIndex("beta"), Is.EqualTo(catalog.Index));
        Assert.That(catalog.State.ServiceIndex("gamma"), Is.EqualTo(gamma));
        Assert.That(catalog.State.NodesIndex, Is.EqualTo(catalog.Index));
    }

    [Test]
    public void A_failed_write_changes_nothing()
    {
        using var scope = new CatalogScope();
        var catalog = scope.Catalog;
        var index = catalog.Index;

        Assert.Throws<DevAgentException>(() => catalog.RegisterCatalogEntry(new CatalogRegistration
        {
            Node = "n1",
            Address = "10.0.0.1",
            Checks = [new CatalogCheckRegistration { CheckId = "c", ServiceId = "no-such-service" }],
        }));

        Assert.That(catalog.Index, Is.EqualTo(index));
        Assert.That(catalog.State.Nodes.ContainsKey("n1"), Is.False, "the node write was part of the failed transaction");
    }

    [Test]
    public void Reset_index_lowers_every_index_and_keeps_the_data()
    {
        using var scope = new CatalogScope();
        var catalog = scope.Catalog;
        for (var i = 0; i < 5; i++)
        {
            catalog.RegisterAgentService(new AgentServiceRegistration { Id = $"s{i}", Name = "alpha", Port = i });
        }

        catalog.ResetIndex(3);
        var state = catalog.State;

        Assert.That(state.Index, Is.EqualTo(3UL));
        Assert.That(new[] { state.ServicesIndex, state.ChecksIndex, state.NodesIndex, state.ServiceIndex("alpha") }, Has.All.LessThanOrEqualTo(3UL));
        Assert.That(state.Instances("alpha").Count(), Is.EqualTo(5));
        Assert.That(state.Instances("alpha").Select(i => i.Service.ModifyIndex), Has.All.LessThanOrEqualTo(3UL));

        catalog.RegisterAgentService(new AgentServiceRegistration { Id = "s9", Name = "alpha" });
        Assert.That(catalog.Index, Is.EqualTo(4UL), "writes continue from the restored index");
    }

    private sealed class CatalogScope : IDisposable
    {
        public DevCatalog Catalog { get; } = new Federation(new DevAgentOptions(), TimeProvider.System, NullLoggerFactory.Instance).Local;

        public void Dispose() => Catalog.StopTimers();
    }
}
