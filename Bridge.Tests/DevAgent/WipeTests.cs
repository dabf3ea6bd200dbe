using Bridge.DevAgent.Catalog;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class WipeTests
{
    private static readonly string[] Reads =
    [
        "/v1/catalog/services", "/v1/catalog/nodes", "/v1/catalog/service/consul", "/v1/health/service/consul",
        "/v1/health/service/web", "/v1/health/state/any",
    ];

    [Test]
    public async Task A_wiped_agent_answers_every_read_with_the_index_and_body_of_a_new_agent()
    {
        await using var used = await TestAgent.StartAsync();
        await using var fresh = await TestAgent.StartAsync();
        await used.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Port": 80, "Check": { "TTL": "1h", "Status": "passing" } }""");
        await used.RegisterCatalogAsync("""{ "Node": "n1", "Address": "10.0.0.1", "Service": { "Service": "api", "Port": 9 } }""");
        await used.PutAsync("/v1/agent/maintenance?enable=true");
        var before = await used.GetAsync("/v1/catalog/services");

        var wiped = await used.PutAsync("/_dev/catalog/wipe");

        Assert.That(wiped.Status, Is.EqualTo(HttpStatusCode.OK), wiped.Body);
        Assert.That(wiped.Json.GetProperty("Index").GetUInt64(), Is.EqualTo(used.Server.Catalog.Index));
        Assert.That(used.Server.Catalog.Index, Is.LessThan(before.Index), "indexes restart low");
        foreach (var path in Reads)
        {
            var afterWipe = await used.GetAsync(path);
            var asNew = await fresh.GetAsync(path);
            Assert.That((afterWipe.Index, afterWipe.Body), Is.EqualTo((asNew.Index, asNew.Body)), path);
        }
    }

    [Test]
    public async Task Wiping_releases_blocking_queries_with_the_new_low_index_and_empty_results()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Port": 80 }""");
        for (var port = 81; port < 85; port++)
        {
            await agent.RegisterAsync($$"""{ "ID": "web-1", "Name": "web", "Port": {{port}} }""");
        }

        var web = await agent.GetAsync("/v1/health/service/web");
        var services = await agent.GetAsync("/v1/catalog/services");
        var webWatch = agent.GetAsync($"/v1/health/service/web?index={web.Index}&wait=30s");
        var servicesWatch = agent.GetAsync($"/v1/catalog/services?index={services.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync(2);

        var index = agent.Server.Catalog.Wipe();
        var webAfter = await webWatch;
        var servicesAfter = await servicesWatch;

        Assert.That(webAfter.Index, Is.LessThan(web.Index));
        Assert.That(webAfter.Index, Is.LessThanOrEqualTo(index));
        Assert.That(webAfter.Body, Is.EqualTo("[]"));
        Assert.That(servicesAfter.Index, Is.LessThan(services.Index));
        Assert.That(servicesAfter.Json.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "consul" }), "the servers' own service is registered again");
    }

    [Test]
    public async Task After_a_wipe_the_catalog_takes_writes_again_from_the_low_index()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Check": { "TTL": "1h" } }""");
        var wipedAt = agent.Server.Catalog.Wipe();

        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Id = "web-2", Name = "web", Check = new AgentCheckRegistration { Ttl = TimeSpan.FromHours(1) } });
        var web = await agent.GetAsync("/v1/health/service/web");

        Assert.That(web.Index, Is.EqualTo(wipedAt + 1));
        Assert.That(web.Json.EnumerateArray().Select(e => e.GetProperty("Service").GetProperty("ID").GetString()), Is.EqualTo(new[] { "web-2" }));
    }
}
