using Bridge.DevAgent.ConfigEntries;
using Bridge.Tests.Daemon;

namespace Bridge.Tests.DevAgent.Seeding;

/// <summary>Seed files with datacenters and config entries, and the worked traffic-management example.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class SeedTests
{
    [Test]
    public async Task The_traffic_management_example_loads_into_two_datacenters_with_a_chain_that_compiles()
    {
        await using var agent = await TestAgent.StartAsync();

        var count = await agent.Server.LoadSeedAsync(Path.Combine(Repository.Root, "Bridge.DevAgent", "Seeding", "traffic-management.json"));
        var v2 = await agent.GetAsync("/v1/health/service/web?filter=" + Uri.EscapeDataString("Service.Meta.version == v2"));
        var remote = await agent.GetAsync("/v1/health/service/web?dc=dc2");

        Assert.That(count, Is.EqualTo(11));
        Assert.That(agent.Server.Datacenters, Is.EqualTo(new[] { "dc1", "dc2" }));
        Assert.That(agent.Server.Catalog.ListConfigEntries().Select(e => $"{e.Kind}/{e.Name}"), Is.EqualTo(new[]
        {
            "service-defaults/api", "service-defaults/web", "service-resolver/web", "service-router/web", "service-splitter/web",
        }));
        Assert.That(agent.Server.Datacenter("dc2").ListConfigEntries(), Has.Count.EqualTo(5), "replicated into dc2");
        Assert.That(v2.Json.EnumerateArray().Select(e => e.GetProperty("Service").GetProperty("ID").GetString()), Is.EqualTo(new[] { "web-3" }));
        Assert.That(remote.Json[0].GetProperty("Service").GetProperty("TaggedAddresses").GetProperty("wan").GetProperty("Port").GetInt32(), Is.EqualTo(8091));
        Assert.That(File.Exists(Path.Combine(AppContext.BaseDirectory, "Seeding", "traffic-management.json")), Is.True, "shipped next to the binary");
    }

    [Test]
    public async Task A_refused_config_entry_names_its_position_and_consuls_reason()
    {
        await using var agent = await TestAgent.StartAsync();
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"seed-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """
            { "ConfigEntries": [
                { "Kind": "service-defaults", "Name": "web", "Protocol": "http" },
                { "Kind": "service-splitter", "Name": "web", "Splits": [ { "Weight": 90 } ] } ] }
            """);
        try
        {
            var ex = Assert.ThrowsAsync<InvalidDataException>(async () => await agent.Server.LoadSeedAsync(path));

            Assert.That(ex!.Message, Does.Contain("ConfigEntries[1]").And.Contain("the sum of all split weights must be 100, not 90.000000"));
            Assert.That(agent.Server.Catalog.GetConfigEntry(ConfigEntryKinds.ServiceDefaults, "web"), Is.Not.Null, "entries before it were written");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
