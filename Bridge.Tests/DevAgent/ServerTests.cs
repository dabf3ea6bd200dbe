using Bridge.DevAgent;
using Bridge.DevAgent.Seeding;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class ServerTests
{
    [Test]
    public async Task Address_reports_the_port_actually_bound()
    {
        await using var agent = await TestAgent.StartAsync();

        Assert.That(agent.Server.Address.Port, Is.Not.Zero);
        Assert.That(agent.Server.Address.Host, Is.EqualTo("127.0.0.1"));
    }

    [Test]
    public async Task Starting_on_a_taken_port_says_the_address_is_already_in_use()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var ex = Assert.ThrowsAsync<IOException>(async () =>
            await DevAgentServer.StartAsync(new DevAgentOptions { Url = $"http://127.0.0.1:{port}" }));

        Assert.That(ex!.Message, Does.Contain("already in use").And.Contain(port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [TestCase("127.0.0.1:8500")]
    [TestCase("http://consul.example:8500")]
    public void Invalid_urls_are_rejected_with_the_option_name(string url)
    {
        var ex = Assert.ThrowsAsync<ArgumentException>(async () => await DevAgentServer.StartAsync(new DevAgentOptions { Url = url }));

        Assert.That(ex!.Message, Does.Contain("DevAgentOptions.Url"));
    }

    [Test]
    public async Task A_seed_file_registers_agent_services_and_catalog_entries()
    {
        await using var agent = await TestAgent.StartAsync();
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"seed-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """
            {
              "Services": [ { "ID": "web-1", "Name": "web", "Port": 8080, "Check": { "TTL": "10m", "Status": "passing" } } ],
              "Catalog": [ { "Node": "node-2", "Address": "10.0.0.2",
                             "Service": { "ID": "web-2", "Service": "web", "Port": 8080 },
                             "Checks": [ { "CheckID": "alive", "Name": "alive", "Status": "passing", "ServiceID": "web-2" } ] } ]
            }
            """);
        try
        {
            var count = await agent.Server.LoadSeedAsync(path);
            var passing = await agent.GetAsync("/v1/health/service/web?passing");

            Assert.That(count, Is.EqualTo(2));
            Assert.That(passing.Json.EnumerateArray().Select(e => e.GetProperty("Service").GetProperty("ID").GetString()), Is.EqualTo(new[] { "web-1", "web-2" }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task A_bad_seed_entry_names_its_position()
    {
        await using var agent = await TestAgent.StartAsync();
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"seed-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """{ "Catalog": [ { "Node": "n1", "Address": "10.0.0.1" }, { "Address": "10.0.0.2" } ] }""");
        try
        {
            var ex = Assert.ThrowsAsync<InvalidDataException>(async () => await agent.Server.LoadSeedAsync(path));

            Assert.That(ex!.Message, Does.Contain("Catalog[1]").And.Contain("Must provide node"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task Gzip_is_served_to_clients_that_ask_for_it()
    {
        await using var agent = await TestAgent.StartAsync();
        using var handler = new HttpClientHandler { AutomaticDecompression = DecompressionMethods.GZip };
        using var client = new HttpClient(handler) { BaseAddress = agent.Server.Address };

        using var response = await client.GetAsync("/v1/health/service/consul");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith("[{\"Node\":"));
    }
}
