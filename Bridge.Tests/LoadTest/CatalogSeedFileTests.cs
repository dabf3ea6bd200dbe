using Bridge.LoadTest.Catalog;
using Bridge.LoadTest.Scenarios;
using Bridge.Tests.DevAgent;

namespace Bridge.Tests.LoadTest;

/// <summary><c>scripts/load --write-catalog</c>: the harness's catalog as a seed file the dev agent takes.</summary>
public sealed class CatalogSeedFileTests
{
    [Test]
    public async Task Written_catalog_seeds_a_dev_agent_with_every_instance_the_harness_registers()
    {
        var catalog = new SyntheticCatalog(services: 4, instancesPerService: 3, nodes: 2);
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"catalog-{Guid.NewGuid():N}.json");
        try
        {
            await CatalogSeedFile.WriteAsync(catalog, path, CancellationToken.None);
            await using var agent = await TestAgent.StartAsync();
            var count = await agent.Server.LoadSeedAsync(path, CancellationToken.None);
            var services = await agent.GetAsync("/v1/catalog/services");
            var passing = (await agent.GetAsync($"/v1/health/service/{catalog.ServiceName(1)}?passing")).Json.EnumerateArray().ToList();

            Assert.Multiple(() =>
            {
                Assert.That(count, Is.EqualTo(12));
                Assert.That(services.Json.EnumerateObject().Select(p => p.Name), Is.SupersetOf(Enumerable.Range(0, 4).Select(catalog.ServiceName)));
                Assert.That(passing.Select(e => e.GetProperty("Service").GetProperty("ID").GetString()), Is.EquivalentTo(Enumerable.Range(0, 3).Select(i => catalog.InstanceId(1, i))));
                Assert.That(passing.Select(e => e.GetProperty("Service").GetProperty("Port").GetInt32()), Is.All.EqualTo(SyntheticCatalog.BasePort));
                Assert.That(passing.Select(e => e.GetProperty("Node").GetProperty("Address").GetString()), Is.Unique, "one service's instances sit on distinct nodes");
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Write_catalog_option_names_the_file_and_the_scenario_decides_the_catalog()
    {
        var command = CommandLine.Parse(["--scenario", "A", "--services", "7", "--write-catalog", "a.json"]);
        var catalog = command.Overrides(Presets.Find(command.Scenarios[0])!).Catalog();

        Assert.Multiple(() =>
        {
            Assert.That(command.WriteCatalogPath, Is.EqualTo("a.json"));
            Assert.That((catalog.Services, catalog.InstancesPerService), Is.EqualTo((7, Presets.A.InstancesPerService)));
        });
    }
}
