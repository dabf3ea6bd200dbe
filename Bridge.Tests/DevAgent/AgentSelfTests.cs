using Bridge.DevAgent.Acl;
using Bridge.DevAgent.Faults;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class AgentSelfTests
{
    private const string Token = "7a1d3e55-0c2b-4f7e-9b1a-5e6f7a8b9c0d";

    [Test]
    public async Task Agent_self_reports_the_per_client_connection_limit_in_force()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { MaxConnsPerClient = 37 });

        var configured = await agent.GetAsync("/v1/agent/self");
        agent.Server.Faults.Apply(new FaultSettings { MaxConnsPerClient = 5 });
        var overridden = await agent.GetAsync("/v1/agent/self");

        Assert.That(configured.Status, Is.EqualTo(HttpStatusCode.OK), configured.Body);
        var json = configured.Json;
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("DebugConfig").GetProperty("HTTPMaxConnsPerClient").GetInt32(), Is.EqualTo(37));
            Assert.That(json.GetProperty("Config").GetProperty("NodeName").GetString(), Is.EqualTo("dev-agent"));
            Assert.That(json.GetProperty("Config").GetProperty("Datacenter").GetString(), Is.EqualTo("dc1"));
            Assert.That(json.GetProperty("Member").GetProperty("Name").GetString(), Is.EqualTo("dev-agent"));
            Assert.That(overridden.Json.GetProperty("DebugConfig").GetProperty("HTTPMaxConnsPerClient").GetInt32(), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task Agent_self_needs_agent_read_so_the_anonymous_token_is_refused_not_filtered()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { RequiredToken = Token });

        var anonymous = await agent.GetAsync("/v1/agent/self");
        var wrong = await agent.GetAsync("/v1/agent/self?token=not-the-token");
        var allowed = await agent.GetAsync($"/v1/agent/self?token={Token}");

        Assert.Multiple(() =>
        {
            Assert.That(anonymous.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(anonymous.Body, Does.StartWith("Permission denied: anonymous token lacks permission 'agent:read' on \"dev-agent\""));
            Assert.That(wrong.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(wrong.Body, Is.EqualTo("ACL not found"));
            Assert.That(allowed.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(allowed.Json.GetProperty("DebugConfig").GetProperty("HTTPMaxConnsPerClient").GetInt32(), Is.EqualTo(200));
        });
    }

    [Test]
    public async Task Agent_self_follows_the_token_s_agent_rules()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { RequiredToken = Token });
        agent.Server.Acl.Set("catalog-only", new AclRules
        {
            ServicePrefix = new Dictionary<string, AclRule> { [""] = AclRule.Read },
            NodePrefix = new Dictionary<string, AclRule> { [""] = AclRule.Read },
        });
        agent.Server.Acl.Set("with-agent-read", new AclRules { Agent = new Dictionary<string, AclRule> { ["dev-agent"] = AclRule.Read } });

        var without = await agent.GetAsync("/v1/agent/self?token=catalog-only");
        var with = await agent.GetAsync("/v1/agent/self?token=with-agent-read");

        Assert.That(without.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(without.Body, Does.Contain("lacks permission 'agent:read' on \"dev-agent\""));
        Assert.That(with.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Agent_self_takes_only_get()
    {
        await using var agent = await TestAgent.StartAsync();

        var put = await agent.PutAsync("/v1/agent/self");

        Assert.That(put.Status, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
    }
}
