using Bridge.Core.Xds;
using Bridge.Daemon.Configuration;
using Bridge.Daemon.Hosting;
using Bridge.DevAgent;
using Bridge.DevAgent.Catalog;
using Microsoft.Extensions.DependencyInjection;

namespace Bridge.Tests.Daemon.Hosting;

/// <summary>A reload applies what can change live, and an invalid one keeps the running configuration.</summary>
[TestFixture]
public sealed class SettingsReloadTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Test]
    public async Task Reload_applies_watch_filters_and_health_mapping_live_and_an_invalid_reload_changes_nothing()
    {
        var dir = Directory.CreateTempSubdirectory("bridge-reload-").FullName;
        try
        {
            await using var consul = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0" });
            consul.Catalog.RegisterCatalogEntry(new CatalogRegistration { Node = "n1", Address = "10.0.0.1", Service = new CatalogServiceRegistration { Id = "web-1", Service = "web", Port = 8080 } });
            consul.Catalog.RegisterCatalogEntry(new CatalogRegistration
            {
                Node = "n2",
                Address = "10.0.0.2",
                Service = new CatalogServiceRegistration { Id = "web-2", Service = "web", Port = 8080 },
                Checks = [new CatalogCheckRegistration { CheckId = "ttl", Name = "ttl", Status = "warning", ServiceId = "web-2" }],
            });
            consul.Catalog.RegisterCatalogEntry(new CatalogRegistration { Node = "n1", Address = "10.0.0.1", Service = new CatalogServiceRegistration { Id = "api-1", Service = "api", Port = 9090 } });

            var adsPort = FreePort.Next();
            var configFile = Path.Combine(dir, "appsettings.json");
            string Config(string warning, string exclude) => $$"""
                { "Consul": { "Address": "{{consul.Address.ToString().TrimEnd('/')}}", "ExcludeServices": [{{exclude}}] },
                  "Xds": { "Warning": "{{warning}}" },
                  "Ads": { "Listen": "127.0.0.1:{{adsPort}}" },
                  "Admin": { "Listen": "127.0.0.1:{{FreePort.Next()}}" } }
                """;
            await File.WriteAllTextAsync(configFile, Config("Healthy", ""));
            var configuration = ConfigurationSources.Build([], configFile);
            var (settings, errors) = SettingsLoader.Load(configuration);
            Assert.That(errors, Is.Empty);

            await using var app = BridgeHost.Build([], settings!, configuration);
            await app.StartAsync();
            try
            {
                var reloader = app.Services.GetRequiredService<SettingsReloader>();
                using var channel = AdsChannels.Create(adsPort);
                await using var client = new AdsClient(channel, AdsNodes.Envoy("reloaded"));
                await client.SubscribeAsync(TypeUrls.Cluster, []);
                var clusters = await client.NextAsync(Wait);
                Assert.That(clusters.ResourceNames(), Does.Contain("api").And.Contain("web"));
                await client.AckAsync(clusters);
                await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
                var web = await client.NextAsync(Wait);
                Assert.That(web.Assignments().Single().EndpointAddresses(), Is.EquivalentTo(new[] { "10.0.0.1:8080", "10.0.0.2:8080" }));
                await client.AckAsync(web);

                // An invalid value: refused, logged, nothing changes.
                await File.WriteAllTextAsync(configFile, Config("Sometimes", "\"api\""));
                Assert.That(await reloader.ReloadAsync("test"), Is.False);
                Assert.That(reloader.Current.Xds.Warning, Is.EqualTo(WarningMapping.Healthy));

                // A valid one: the warning instance leaves web's endpoints, api leaves the catalog.
                await File.WriteAllTextAsync(configFile, Config("Exclude", "\"api\""));
                Assert.That(await reloader.ReloadAsync("test"), Is.True);
                var seen = new List<string>();
                var deadline = DateTime.UtcNow + Wait;
                bool cdsWithoutApi = false, webWithoutWarning = false;
                while (!(cdsWithoutApi && webWithoutWarning) && DateTime.UtcNow < deadline)
                {
                    var next = await client.NextAsync(Wait);
                    seen.Add(next.TypeUrl);
                    if (next.TypeUrl == TypeUrls.Cluster)
                    {
                        cdsWithoutApi = !next.ResourceNames().Contains("api");
                    }
                    else if (next.TypeUrl == TypeUrls.ClusterLoadAssignment && next.Assignments().FirstOrDefault(a => a.ClusterName == "web") is { } assignment)
                    {
                        webWithoutWarning = assignment.EndpointAddresses().SequenceEqual(["10.0.0.1:8080"]);
                    }

                    await client.AckAsync(next);
                }

                Assert.Multiple(() =>
                {
                    Assert.That(cdsWithoutApi, Is.True, "the new exclude filter removed api");
                    Assert.That(webWithoutWarning, Is.True, "the new health mapping excluded the warning instance");
                });
            }
            finally
            {
                await app.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
