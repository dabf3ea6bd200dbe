using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Faults;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class StaleReadTests
{
    [Test]
    public async Task Stale_reads_carry_the_faults_leader_headers_and_leader_reads_the_leaders()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { StaleReads = new StaleReadFault { KnownLeader = false, LastContact = TimeSpan.FromSeconds(12) } });

        var stale = await agent.GetAsync("/v1/health/service/consul?stale");
        var leader = await agent.GetAsync("/v1/health/service/consul");
        var consistent = await agent.GetAsync("/v1/health/service/consul?consistent");

        Assert.That(Meta(stale), Is.EqualTo(("false", "12000", "stale")));
        Assert.That(Meta(leader), Is.EqualTo(("true", "0", "leader")));
        Assert.That(Meta(consistent), Is.EqualTo(("true", "0", "consistent")));
        Assert.That(agent.Server.Faults.Counters.StaleReads, Is.EqualTo(1));
    }

    [Test]
    public async Task A_read_whose_max_stale_is_below_the_last_contact_is_asked_of_the_leader_instead()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { StaleReads = new StaleReadFault { LastContact = TimeSpan.FromSeconds(10), Freeze = true } });
        await agent.RegisterAsync("""{ "Name": "web" }""");

        var tooOld = await agent.GetAsync("/v1/health/service/web?max_stale=5s");
        var oldEnough = await agent.GetAsync("/v1/health/service/web?max_stale=20s");

        Assert.That(Meta(tooOld), Is.EqualTo(("true", "0", "leader")));
        Assert.That(tooOld.Json.GetArrayLength(), Is.EqualTo(1), "the leader has the new instance");
        Assert.That(Meta(oldEnough), Is.EqualTo(("true", "10000", "stale")));
        Assert.That(oldEnough.Body, Is.EqualTo("[]"), "the frozen follower does not");
    }

    [Test]
    public async Task A_lagging_follower_serves_the_catalog_as_it_was_n_writes_ago_and_moves_with_each_write()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { StaleReads = new StaleReadFault { LagWrites = 2 } });
        foreach (var name in new[] { "a", "b", "c" })
        {
            agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = name });
        }

        var staleBefore = await agent.GetAsync("/v1/catalog/services?stale");
        var leader = await agent.GetAsync("/v1/catalog/services");
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "d" });
        var staleAfter = await agent.GetAsync("/v1/catalog/services?stale");

        Assert.That(Names(staleBefore), Is.EquivalentTo(new[] { "consul", "a" }));
        Assert.That(Names(leader), Is.EquivalentTo(new[] { "consul", "a", "b", "c" }));
        Assert.That(staleBefore.Index, Is.LessThan(leader.Index));
        Assert.That(Names(staleAfter), Is.EquivalentTo(new[] { "consul", "a", "b" }));
    }

    [Test]
    public async Task A_lagging_watcher_sees_a_change_when_a_later_write_elsewhere_brings_it_in()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { StaleReads = new StaleReadFault { LagWrites = 1 } });
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "web" });
        var behind = await agent.GetAsync("/v1/health/service/web?stale");

        var watch = agent.GetAsync($"/v1/health/service/web?stale&index={behind.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "api" });
        var caughtUp = await watch;

        Assert.That(behind.Body, Is.EqualTo("[]"));
        Assert.That(caughtUp.Index, Is.GreaterThan(behind.Index));
        Assert.That(caughtUp.Json.GetArrayLength(), Is.EqualTo(1));
    }

    [Test]
    public async Task A_frozen_follower_keeps_a_blocking_stale_read_waiting_while_a_consistent_read_sees_the_new_data()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "web", Port = 1 });
        agent.Server.Faults.Apply(new FaultSettings { StaleReads = new StaleReadFault { Freeze = true } });
        var frozen = await agent.GetAsync("/v1/health/service/web?stale");
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "web", Port = 2 });

        var clock = Stopwatch.StartNew();
        var staleWatch = await agent.GetAsync($"/v1/health/service/web?stale&index={frozen.Index}&wait=300ms");
        var consistent = await agent.GetAsync("/v1/health/service/web?consistent");

        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300)));
        Assert.That((staleWatch.Index, staleWatch.Body), Is.EqualTo((frozen.Index, frozen.Body)));
        Assert.That(consistent.Index, Is.GreaterThan(frozen.Index));
        Assert.That(consistent.Json[0].GetProperty("Service").GetProperty("Port").GetInt64(), Is.EqualTo(2));
    }

    [Test]
    public async Task Stale_read_settings_are_checked_and_driven_over_http()
    {
        await using var agent = await TestAgent.StartAsync();

        var set = await agent.PutAsync("/_dev/faults", """{ "StaleReads": { "KnownLeader": false, "LastContact": "1.5s", "LagWrites": 3 } }""");
        var read = await agent.GetAsync("/v1/catalog/services?stale");
        var tooFar = await agent.PutAsync("/_dev/faults", """{ "StaleReads": { "LagWrites": 65 } }""");
        var both = await agent.PutAsync("/_dev/faults", """{ "StaleReads": { "LagWrites": 1, "Freeze": true } }""");

        Assert.That(set.Status, Is.EqualTo(HttpStatusCode.OK), set.Body);
        Assert.That(set.Json.GetProperty("Settings").GetProperty("StaleReads").GetProperty("LastContact").GetString(), Is.EqualTo("1.5s"));
        Assert.That(Meta(read), Is.EqualTo(("false", "1500", "stale")));
        Assert.That((tooFar.Status, tooFar.Body), Is.EqualTo((HttpStatusCode.BadRequest, "StaleReads.LagWrites must be between 1 and 64, got 65.")));
        Assert.That((both.Status, both.Body), Is.EqualTo((HttpStatusCode.BadRequest, "StaleReads takes LagWrites or Freeze, not both.")));
    }

    private static (string?, string?, string?) Meta(Reply reply) =>
        (reply.Header("X-Consul-KnownLeader"), reply.Header("X-Consul-LastContact"), reply.Header("X-Consul-Effective-Consistency"));

    private static IEnumerable<string> Names(Reply reply) => reply.Json.EnumerateObject().Select(p => p.Name);
}
