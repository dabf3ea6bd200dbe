using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.ConfigEntries;
using Bridge.DevAgent.Faults;

namespace Bridge.Tests.DevAgent.Datacenters;

/// <summary>Several datacenters served by one agent, as a WAN federation looks to an agent in the first of them.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class DatacenterTests
{
    private const string RemoteWeb = """
        { "Node": "web-node", "Address": "10.2.0.5", "Datacenter": "dc2",
          "TaggedAddresses": { "lan": "10.2.0.5", "wan": "198.51.100.5", "wan_ipv4": "198.51.100.5" },
          "Service": { "ID": "web-1", "Service": "web", "Address": "10.2.0.5", "Port": 8080,
                       "TaggedAddresses": { "wan": { "Address": "198.51.100.5", "Port": 18080 } } },
          "Check": { "CheckID": "web-alive", "Name": "alive", "Status": "passing", "ServiceID": "web-1" } }
        """;

    [Test]
    public async Task Datacenters_are_listed_nearest_first_and_each_has_its_own_server_node_and_indexes()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc3", "dc1", "dc2"] });
        var dc2Index = agent.Server.Datacenter("dc2").Index;

        var list = await agent.GetAsync("/v1/catalog/datacenters");
        var dc2Nodes = await agent.GetAsync("/v1/catalog/nodes?dc=dc2");
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "api" });

        Assert.That(list.Json.EnumerateArray().Select(d => d.GetString()), Is.EqualTo(new[] { "dc1", "dc3", "dc2" }));
        Assert.That(dc2Nodes.Json.EnumerateArray().Select(n => (n.GetProperty("Node").GetString(), n.GetProperty("Datacenter").GetString())),
            Is.EqualTo(new[] { ("dev-agent-dc2", "dc2") }));
        Assert.That(agent.Server.Datacenter("dc2").Index, Is.EqualTo(dc2Index), "a write in dc1 is not one of dc2's");
        Assert.That((await agent.GetAsync("/v1/catalog/services?dc=dc2")).Json.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "consul" }));
    }

    [Test]
    public async Task A_catalog_registration_goes_to_the_datacenter_its_body_names_with_its_wan_addresses()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"] });

        await agent.RegisterCatalogAsync(RemoteWeb);
        await agent.RegisterCatalogAsync("""{ "Node": "local-node", "Address": "10.1.0.5", "Service": { "ID": "web-9", "Service": "web", "Port": 8080 } }""");
        var remote = await agent.GetAsync("/v1/health/service/web?dc=dc2");
        var local = await agent.GetAsync("/v1/health/service/web");

        var entry = remote.Json.EnumerateArray().Single();
        Assert.That(entry.GetProperty("Node").GetProperty("Datacenter").GetString(), Is.EqualTo("dc2"));
        Assert.That(entry.GetProperty("Node").GetProperty("TaggedAddresses").GetProperty("wan_ipv4").GetString(), Is.EqualTo("198.51.100.5"));
        Assert.That(entry.GetProperty("Service").GetProperty("TaggedAddresses").GetProperty("wan").GetRawText(), Is.EqualTo("""{"Address":"198.51.100.5","Port":18080}"""));
        Assert.That(local.Json.EnumerateArray().Select(e => e.GetProperty("Service").GetProperty("ID").GetString()), Is.EqualTo(new[] { "web-9" }));
        Assert.That((await agent.GetAsync("/v1/catalog/service/web?dc=dc2")).Json[0].GetProperty("Datacenter").GetString(), Is.EqualTo("dc2"));
    }

    [Test]
    public async Task The_dc_parameter_routes_reads_but_not_catalog_or_agent_writes()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"] });

        await agent.RegisterCatalogAsync("""{ "Node": "n1", "Address": "10.0.0.1", "Service": { "ID": "a-1", "Service": "a" } }""");
        var catalogWrite = await agent.PutAsync("/v1/catalog/register?dc=dc2", """{ "Node": "n2", "Address": "10.0.0.2", "Service": { "ID": "b-1", "Service": "b" } }""");
        var agentWrite = await agent.PutAsync("/v1/agent/service/register?dc=dc2", """{ "ID": "c-1", "Name": "c" }""");

        Assert.That((catalogWrite.Status, agentWrite.Status), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
        Assert.That((await agent.GetAsync("/v1/catalog/services")).Json.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "consul", "a", "b", "c" }));
        Assert.That((await agent.GetAsync("/v1/catalog/services?dc=dc2")).Json.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "consul" }));
    }

    [Test]
    public async Task An_unknown_datacenter_is_no_path_for_reads_and_writes_and_a_deregistration_finds_its_datacenter()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"] });
        await agent.RegisterCatalogAsync(RemoteWeb);

        var read = await agent.GetAsync("/v1/health/service/web?dc=dc9");
        var write = await agent.PutAsync("/v1/catalog/register", RemoteWeb.Replace("\"dc2\"", "\"dc9\"", StringComparison.Ordinal));
        var deregister = await agent.PutAsync("/v1/catalog/deregister", """{ "Datacenter": "dc2", "Node": "web-node", "ServiceID": "web-1" }""");

        Assert.That((read.Status, read.Body), Is.EqualTo((HttpStatusCode.InternalServerError, "No path to datacenter")));
        Assert.That((write.Status, write.Body), Is.EqualTo((HttpStatusCode.InternalServerError, "No path to datacenter")));
        Assert.That(deregister.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await agent.GetAsync("/v1/health/service/web?dc=dc2")).Body, Is.EqualTo("[]"));
    }

    [Test]
    public async Task A_blocking_query_waits_on_its_own_datacenters_changes()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"] });
        await agent.RegisterCatalogAsync(RemoteWeb);
        var first = await agent.GetAsync("/v1/health/service/web?dc=dc2");

        var watch = agent.GetAsync($"/v1/health/service/web?dc=dc2&index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Id = "web-local", Name = "web" });
        Assert.That(watch.IsCompleted, Is.False);
        agent.Server.Datacenter("dc2").SetCheckStatus("web-alive", CheckStatus.Critical, node: "web-node");
        var woken = await watch;

        Assert.That(woken.Index, Is.GreaterThan(first.Index));
        Assert.That(woken.Json[0].GetProperty("Checks")[0].GetProperty("Status").GetString(), Is.EqualTo("critical"));
    }

    [Test]
    public async Task Config_entries_are_written_in_the_primary_and_replicated_with_each_datacenters_own_indexes()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"] });
        await agent.RegisterCatalogAsync(RemoteWeb);
        var dc2 = agent.Server.Datacenter("dc2");

        var put = await agent.PutAsync("/v1/config?dc=dc2", """{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");
        var inPrimary = agent.Server.Catalog.GetConfigEntry(ConfigEntryKinds.ServiceDefaults, "web")!;
        var inDc2 = await agent.GetAsync("/v1/config/service-defaults/web?dc=dc2");
        var delete = await agent.DeleteAsync("/v1/config/service-defaults/web?dc=dc2");

        Assert.That(put.Body, Is.EqualTo("true"));
        Assert.That(inDc2.Json.GetProperty("Protocol").GetString(), Is.EqualTo("http"));
        Assert.That(inDc2.Json.GetProperty("ModifyIndex").GetUInt64(), Is.EqualTo(inDc2.Index), "dc2 indexes its copy itself");
        Assert.That(inDc2.Index, Is.Not.EqualTo(inPrimary.ModifyIndex), "dc2's Raft log is not dc1's");
        Assert.That(delete.Body, Is.EqualTo("{}"));
        Assert.That(dc2.ListConfigEntries(), Is.Empty);
        Assert.That(agent.Server.Catalog.ListConfigEntries(), Is.Empty);
    }

    [Test]
    public async Task A_primary_in_another_datacenter_takes_the_writes_sent_to_the_agent()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"], PrimaryDatacenter = "dc2" });

        await agent.PutConfigAsync("""{ "Kind": "service-resolver", "Name": "web", "ConnectTimeout": "3s" }""");

        Assert.That(agent.Server.Datacenter("dc2").GetConfigEntry(ConfigEntryKinds.ServiceResolver, "web"), Is.Not.Null);
        Assert.That((await agent.GetAsync("/v1/config/service-resolver/web")).Json.GetProperty("ConnectTimeout").GetString(), Is.EqualTo("3s"));
        Assert.That(agent.Server.PrimaryDatacenter, Is.EqualTo("dc2"));
    }

    [Test]
    public async Task An_unreachable_datacenter_fails_as_consul_does_stays_listed_and_catches_up_when_back()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"] });
        await agent.RegisterCatalogAsync(RemoteWeb);

        agent.Server.Faults.Apply(new FaultSettings { UnreachableDatacenters = ["dc2"] });
        var read = await agent.GetAsync("/v1/health/service/web?dc=dc2");
        var write = await agent.PutAsync("/v1/catalog/register", RemoteWeb);
        var datacenters = await agent.GetAsync("/v1/catalog/datacenters");
        var local = await agent.GetAsync("/v1/health/service/consul");
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");
        var missedWhileDown = agent.Server.Datacenter("dc2").ListConfigEntries();
        agent.Server.Faults.Clear();
        var back = await agent.GetAsync("/v1/config/service-defaults/web?dc=dc2");

        const string Unreachable = "Remote DC has no server currently reachable";
        Assert.That((read.Status, read.Body), Is.EqualTo((HttpStatusCode.InternalServerError, Unreachable)));
        Assert.That((write.Status, write.Body), Is.EqualTo((HttpStatusCode.InternalServerError, Unreachable)));
        Assert.That(datacenters.Json.EnumerateArray().Select(d => d.GetString()), Is.EqualTo(new[] { "dc1", "dc2" }));
        Assert.That(local.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(missedWhileDown, Is.Empty, "replication stops while the link is down");
        Assert.That(back.Json.GetProperty("Protocol").GetString(), Is.EqualTo("http"));
    }

    [Test]
    public async Task A_query_parked_in_a_datacenter_that_becomes_unreachable_ends_as_a_broken_rpc_connection()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"] });
        await agent.RegisterCatalogAsync(RemoteWeb);
        var first = await agent.GetAsync("/v1/health/service/web?dc=dc2");
        var localFirst = await agent.GetAsync("/v1/health/service/consul");

        var remote = agent.GetAsync($"/v1/health/service/web?dc=dc2&index={first.Index}&wait=30s");
        var local = agent.GetAsync($"/v1/health/service/consul?index={localFirst.Index}&wait=400ms");
        await agent.BlockingQueriesParkedAsync(2);
        var down = await agent.PutAsync("/_dev/faults", """{ "UnreachableDatacenters": [ "dc2" ] }""");
        var ended = await remote;

        Assert.That(down.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((ended.Status, ended.Body), Is.EqualTo((HttpStatusCode.InternalServerError, "rpc error making call: EOF")));
        Assert.That((await local).Status, Is.EqualTo(HttpStatusCode.OK), "the local datacenter is not affected");
    }

    [Test]
    public async Task Config_writes_fail_while_the_primary_is_unreachable()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"], PrimaryDatacenter = "dc2" });
        agent.Server.Faults.Apply(new FaultSettings { UnreachableDatacenters = ["dc2"] });

        var put = await agent.PutAsync("/v1/config", """{ "Kind": "service-defaults", "Name": "web" }""");
        var read = await agent.GetAsync("/v1/config/service-defaults");

        Assert.That((put.Status, put.Body), Is.EqualTo((HttpStatusCode.InternalServerError, "Remote DC has no server currently reachable")));
        Assert.That((read.Status, read.Body), Is.EqualTo((HttpStatusCode.OK, "[]")), "reads of the local copy still work");
    }

    [TestCase("""{ "UnreachableDatacenters": [ "dc1" ] }""", "the agent's own datacenter 'dc1' cannot be made unreachable")]
    [TestCase("""{ "UnreachableDatacenters": [ "dc7" ] }""", "'dc7' is not a datacenter this agent serves (dc1, dc2)")]
    public async Task The_unreachable_fault_names_what_is_wrong_with_it(string settings, string problem)
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"] });

        var reply = await agent.PutAsync("/_dev/faults", settings);

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(reply.Body, Does.Contain(problem));
    }

    [Test]
    public async Task A_datacenter_added_while_running_is_served_with_the_primarys_config_entries()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "grpc" }""");

        var added = await agent.PutAsync("/_dev/datacenters/eu-west", null);
        var bad = await agent.PutAsync("/_dev/datacenters/a%20b", null);
        var entry = await agent.GetAsync("/v1/config/service-defaults/web?dc=eu-west");

        Assert.That(added.Json.EnumerateArray().Select(d => (d.GetProperty("Name").GetString(), d.GetProperty("Local").GetBoolean(), d.GetProperty("Reachable").GetBoolean())),
            Is.EqualTo(new[] { ("dc1", true, true), ("eu-west", false, true) }));
        Assert.That(bad.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(entry.Json.GetProperty("Protocol").GetString(), Is.EqualTo("grpc"));
        Assert.That(agent.Server.Datacenters, Is.EqualTo(new[] { "dc1", "eu-west" }));
    }

    [Test]
    public async Task A_wiped_secondary_replicates_config_entries_back_and_a_wiped_primary_takes_them_away_everywhere()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"] });
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");
        var dc2 = agent.Server.Datacenter("dc2");
        var before = dc2.GetConfigEntry(ConfigEntryKinds.ServiceDefaults, "web")!;

        var wipedSecondary = await agent.PutAsync("/_dev/catalog/wipe?dc=dc2", null);
        var afterSecondaryWipe = dc2.GetConfigEntry(ConfigEntryKinds.ServiceDefaults, "web");
        var dc2Index = dc2.Index;
        var wipedPrimary = await agent.PutAsync("/_dev/catalog/wipe", null);
        var unknown = await agent.PutAsync("/_dev/catalog/wipe?dc=dc9", null);

        Assert.That(wipedSecondary.Json.GetProperty("Index").GetUInt64(), Is.EqualTo(dc2Index), "the answer counts the replicated writes");
        Assert.That(afterSecondaryWipe, Is.Not.Null);
        Assert.That(afterSecondaryWipe!.ModifyIndex, Is.EqualTo(dc2Index), "written again, last, into the rebuilt store");
        Assert.That(((ServiceDefaultsEntry)afterSecondaryWipe).Protocol, Is.EqualTo(((ServiceDefaultsEntry)before).Protocol));
        Assert.That(wipedPrimary.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(agent.Server.Catalog.ListConfigEntries(), Is.Empty);
        Assert.That(dc2.ListConfigEntries(), Is.Empty);
        Assert.That(unknown.Status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public void Options_refuse_a_primary_that_is_not_served() =>
        Assert.ThrowsAsync<ArgumentException>(async () => await TestAgent.StartAsync(o => o with { Datacenters = ["dc2"], PrimaryDatacenter = "dc3" }));
}
