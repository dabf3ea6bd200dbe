using System.Net.Http.Json;
using Bridge.Core.Consul;
using Bridge.DevAgent;
using Bridge.DevAgent.Catalog;

namespace Bridge.Tests.Daemon.Hosting;

/// <summary>
/// A restart while Consul is down must not wipe every proxy's clusters: the daemon serves the catalog its state
/// file kept, says so in readiness, and follows Consul as soon as it answers.
/// </summary>
[TestFixture]
public sealed class PersistedStateStartTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Test]
    public async Task Daemon_started_while_consul_is_down_serves_the_saved_catalog_as_stale_until_consul_answers()
    {
        var dir = Directory.CreateTempSubdirectory("bridge-start-").FullName;
        try
        {
            var statePath = Path.Combine(dir, "catalog.json");
            var saved = new CatalogStore(new FakeLogger<CatalogStore>());
            saved.Apply([.. ConsulFeed.NoRouting()]);
            saved.Apply([
                new ServiceSetObserved(["web"], 5),
                new ServiceEntriesObserved("web", 6, [Entries.Entry("n1", "web-1", nodeAddress: "10.0.0.1", port: 8080)]),
            ]);
            var consulPort = FreePort.Next();
            new CatalogStateFile(statePath, CatalogStateFile.IdentityOf(new ConsulOptions { Address = $"http://127.0.0.1:{consulPort}" }), new FakeLogger())
                .Save(saved.Current, DateTimeOffset.UtcNow.AddMinutes(-1));

            await using var bridge = await InProcessBridge.StartAsync(new()
            {
                Catalog = CatalogFeed.Address,
                Settings = new Dictionary<string, string?>
                {
                    ["Consul:Address"] = $"http://127.0.0.1:{consulPort}",
                    ["Consul:RetryBaseDelay"] = "00:00:00.050",
                    ["Consul:RetryMaxDelay"] = "00:00:00.200",
                    ["State:Path"] = statePath,
                },
            });

            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{bridge.AdminPort}") };
            var client = bridge.Sotw(AdsNodes.Envoy("restarted-with-consul-down"));
            await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);

            var fromFile = await client.NextAsync(Wait);
            Assert.That(fromFile.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { "10.0.0.1:8080" }), "the saved endpoints are served");
            var stale = await Readiness(admin);
            Assert.Multiple(() =>
            {
                Assert.That(stale.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "a load balancer should prefer a replica that reaches Consul");
                Assert.That(stale.Body.GetProperty("status").GetString(), Is.EqualTo("stale"));
                Assert.That(stale.Body.GetProperty("source").GetString(), Is.EqualTo("persisted"));
            });
            await client.AckAsync(fromFile);

            // Consul comes up and says web moved: the stream follows and readiness turns ready.
            await using var consul = await DevAgentServer.StartAsync(new DevAgentOptions { Url = $"http://127.0.0.1:{consulPort}" });
            consul.Catalog.RegisterCatalogEntry(new CatalogRegistration
            {
                Node = "n1",
                Address = "10.0.0.2",
                Service = new CatalogServiceRegistration { Id = "web-1", Service = "web", Port = 9090 },
            });

            var fromConsul = await client.NextAsync(Wait);
            Assert.That(fromConsul.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { "10.0.0.2:9090" }));
            var ready = await WaitForStatusAsync(admin, "ready");
            Assert.That(ready.GetProperty("source").GetString(), Is.EqualTo("consul"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Readiness(HttpClient admin)
    {
        using var response = await admin.GetAsync("/readyz");
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    /// <summary>Readiness follows the catalog loop; poll the observable endpoint until it reports the status.</summary>
    private static async Task<JsonElement> WaitForStatusAsync(HttpClient admin, string status)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var (_, body) = await Readiness(admin);
            if (body.GetProperty("status").GetString() == status || DateTime.UtcNow > deadline)
            {
                Assert.That(body.GetProperty("status").GetString(), Is.EqualTo(status));
                return body;
            }

            await Task.Delay(50);
        }
    }
}
