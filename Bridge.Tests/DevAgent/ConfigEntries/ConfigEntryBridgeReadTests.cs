using Bridge.Core.Consul.ConfigEntries;
using Bridge.Tests.Daemon;

namespace Bridge.Tests.DevAgent.ConfigEntries;

/// <summary>What the dev agent lists under <c>/v1/config/&lt;kind&gt;</c> is read whole by the bridge's own decoder.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class ConfigEntryBridgeReadTests
{
    [Test]
    public async Task The_bridge_reads_every_listed_entry_with_its_durations_weights_and_subsets_and_finds_no_rule_broken()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.Server.LoadSeedAsync(Path.Combine(Repository.Root, "Bridge.DevAgent", "Seeding", "traffic-management.json"));
        await agent.PutConfigAsync("""
            { "Kind": "service-defaults", "Name": "db", "Protocol": "tcp",
              "UpstreamConfig": { "Defaults": { "ConnectTimeoutMs": 250, "PassiveHealthCheck": { "Interval": "10s", "MaxFailures": 3, "BaseEjectionTime": "30s" } } } }
            """);
        await agent.PutConfigAsync("""
            { "Kind": "service-resolver", "Name": "api", "ConnectTimeout": 15000000000, "RequestTimeout": "1m30s",
              "LoadBalancer": { "Policy": "ring_hash", "RingHashConfig": { "MinimumRingSize": 1024 },
                                "HashPolicies": [ { "Field": "cookie", "FieldValue": "s", "CookieConfig": { "TTL": "1h" } } ] } }
            """);

        var read = new Dictionary<ConfigEntryKind, ConfigEntryList>();
        foreach (var kind in ConfigEntryKinds.All)
        {
            var reply = await agent.GetAsync($"/v1/config/{kind.ApiName()}");
            read[kind] = ConfigEntryDecoder.Decode(kind, Encoding.UTF8.GetBytes(reply.Body));
        }

        var entries = read.Values.SelectMany(list => list.Entries).ToList();
        var resolvers = read[ConfigEntryKind.ServiceResolver].Entries.Cast<ServiceResolverEntry>().ToDictionary(e => e.Name);
        var splits = read[ConfigEntryKind.ServiceSplitter].Entries.Cast<ServiceSplitterEntry>().Single().Splits!;
        var route = read[ConfigEntryKind.ServiceRouter].Entries.Cast<ServiceRouterEntry>().Single().Routes![0];
        var db = read[ConfigEntryKind.ServiceDefaults].Entries.Cast<ServiceDefaultsEntry>().Single(e => e.Name == "db");

        Assert.Multiple(() =>
        {
            Assert.That(read.Values.SelectMany(list => list.Skipped), Is.Empty);
            Assert.That(entries.Select(e => $"{e.Kind}/{e.Name}"), Is.EquivalentTo(agent.Server.Catalog.ListConfigEntries().Select(e => $"{e.Kind}/{e.Name}")));
            Assert.That(entries.Select(ConfigEntryRules.Problem), Is.All.Null);
            Assert.That(entries.Select(e => e.ModifyIndex), Is.All.Positive);
            Assert.That(resolvers["web"].ConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(resolvers["web"].Subsets!["v2"], Is.EqualTo(new ResolverSubset { Filter = "Service.Meta.version == v2", OnlyPassing = true }));
            Assert.That(resolvers["web"].Failover!["*"].Datacenters, Is.EqualTo(new[] { "dc2" }));
            Assert.That((resolvers["api"].ConnectTimeout, resolvers["api"].RequestTimeout), Is.EqualTo((TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(90))));
            Assert.That(resolvers["api"].LoadBalancer!.HashPolicies![0].CookieConfig!.TTL, Is.EqualTo(TimeSpan.FromHours(1)));
            Assert.That(resolvers["api"].LoadBalancer!.RingHashConfig!.MinimumRingSize, Is.EqualTo(1024));
            Assert.That(splits.Select(s => (s.Weight, s.ServiceSubset)), Is.EqualTo(new[] { (90m, "v1"), (10m, "v2") }));
            Assert.That((route.Destination!.RequestTimeout, route.Destination.NumRetries), Is.EqualTo((TimeSpan.FromSeconds(5), 2u)));
            Assert.That(db.UpstreamConfig!.Defaults!.ConnectTimeoutMs, Is.EqualTo(250));
            Assert.That(db.UpstreamConfig.Defaults.PassiveHealthCheck!.Interval, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(db.UpstreamConfig.Defaults.PassiveHealthCheck.BaseEjectionTime, Is.EqualTo(TimeSpan.FromSeconds(30)));
        });
    }
}
