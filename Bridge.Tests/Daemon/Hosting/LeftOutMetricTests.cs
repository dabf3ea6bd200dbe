using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.ConfigEntries;

namespace Bridge.Tests.Daemon;

/// <summary>
/// <c>bridge_instances_left_out</c> counts the instances Consul lists that are not served. A subset read lists again
/// instances of its service's own read: one bad instance is still one instance, wherever it is left out.
/// </summary>
[TestFixture]
public sealed class LeftOutMetricTests
{
    [Test]
    public async Task An_instance_left_out_of_its_service_and_of_a_subset_counts_once()
    {
        await using var bridge = await BridgeUnderTest.StartAsync(BridgeParent.TestHost, prepare: agent =>
        {
            agent.Catalog.RegisterAgentService(new AgentServiceRegistration { Id = "web-3", Name = "web", Address = "127.0.0.1", Port = 70000, Tags = ["v2"] });
            agent.Catalog.ApplyConfigEntry(ConfigEntry.FromJson(
                """{"Kind":"service-resolver","Name":"web","DefaultSubset":"v2","Subsets":{"v2":{"Filter":"\"v2\" in Service.Tags"}}}"""));
        });
        await bridge.Notify.WaitForAsync(m => m.Has("READY=1"), TimeSpan.FromSeconds(30), "with READY=1");

        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{bridge.AdminPort}") };
        var metrics = await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var debug = await admin.GetStringAsync(new Uri("/debug/xds", UriKind.Relative));

        Assert.Multiple(() =>
        {
            Assert.That(debug, Does.Contain("\"web~v2\""), "the subset's read leaves web-3 out under its own cluster");
            Assert.That(metrics.Split('\n').Single(l => l.StartsWith("bridge_instances_left_out ", StringComparison.Ordinal)), Is.EqualTo("bridge_instances_left_out 1"));
        });
    }
}
