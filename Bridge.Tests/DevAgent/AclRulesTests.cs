using Bridge.DevAgent.Acl;
using Bridge.DevAgent.Catalog;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class AclRulesTests
{
    private static readonly Dictionary<string, AclRule> EveryNodeReadable = new() { [string.Empty] = AclRule.Read };

    [Test]
    public async Task Catalog_services_lists_what_the_token_may_read_by_exact_rule_then_longest_prefix()
    {
        await using var agent = await TestAgent.StartAsync();
        foreach (var name in new[] { "web", "web-admin", "api" })
        {
            agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = name, Port = 80 });
        }

        agent.Server.Acl.Set("t", new AclRules
        {
            ServicePrefix = new Dictionary<string, AclRule> { [string.Empty] = AclRule.Read, ["web"] = AclRule.Deny },
            Service = new Dictionary<string, AclRule> { ["web-admin"] = AclRule.Read },
        });

        var services = await agent.GetAsync("/v1/catalog/services?token=t");

        Assert.That(services.Json.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "consul", "api", "web-admin" }));
        Assert.That(services.Header("X-Consul-Results-Filtered-By-ACLs"), Is.EqualTo("true"));
    }

    [Test]
    public async Task Service_reads_drop_instances_whose_node_the_token_may_not_read()
    {
        await using var agent = await TestAgent.StartAsync();
        foreach (var node in new[] { "n1", "n2" })
        {
            agent.Server.Catalog.RegisterCatalogEntry(new CatalogRegistration
            {
                Node = node,
                Address = "10.0.0.1",
                Service = new CatalogServiceRegistration { Id = "web-" + node, Service = "web", Port = 80 },
            });
        }

        var servicesOnly = new Dictionary<string, AclRule> { [string.Empty] = AclRule.Read };
        agent.Server.Acl.Set("n1-only", new AclRules { ServicePrefix = servicesOnly, Node = new Dictionary<string, AclRule> { ["n1"] = AclRule.Read } });
        agent.Server.Acl.Set("all", new AclRules { ServicePrefix = servicesOnly, NodePrefix = EveryNodeReadable });

        var health = await agent.GetAsync("/v1/health/service/web?token=n1-only");
        var catalog = await agent.GetAsync("/v1/catalog/service/web?token=n1-only");
        var everything = await agent.GetAsync("/v1/health/service/web?token=all");

        Assert.That(health.Json.EnumerateArray().Select(e => e.GetProperty("Node").GetProperty("Node").GetString()), Is.EqualTo(new[] { "n1" }));
        Assert.That(catalog.Json.EnumerateArray().Select(e => e.GetProperty("Node").GetString()), Is.EqualTo(new[] { "n1" }));
        Assert.That(health.Header("X-Consul-Results-Filtered-By-ACLs"), Is.EqualTo("true"));
        Assert.That(catalog.Header("X-Consul-Results-Filtered-By-ACLs"), Is.EqualTo("true"));
        Assert.That(everything.Json.GetArrayLength(), Is.EqualTo(2));
        Assert.That(everything.Header("X-Consul-Results-Filtered-By-ACLs"), Is.Null, "nothing was hidden");
    }

    [Test]
    public async Task Only_a_request_that_sends_a_token_is_told_that_acls_hid_something()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "web" });
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "api" });
        agent.Server.Acl.Set(AclTokens.AnonymousSecret, new AclRules { Service = new Dictionary<string, AclRule> { ["web"] = AclRule.Read } });

        var implicitAnonymous = await agent.GetAsync("/v1/catalog/services");
        var namedAnonymous = await agent.GetAsync("/v1/catalog/services?token=anonymous");

        Assert.That(implicitAnonymous.Json.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "web" }));
        Assert.That(implicitAnonymous.Header("X-Consul-Results-Filtered-By-ACLs"), Is.Null);
        Assert.That(namedAnonymous.Json.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "web" }));
        Assert.That(namedAnonymous.Header("X-Consul-Results-Filtered-By-ACLs"), Is.EqualTo("true"));
    }

    [Test]
    public async Task A_rules_change_moves_no_index_so_a_blocking_query_gets_the_new_body_with_the_same_index_only_when_its_wait_ends()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "web", Port = 80 });
        agent.Server.Acl.Set("t", new AclRules { ServicePrefix = new Dictionary<string, AclRule> { [string.Empty] = AclRule.Read }, NodePrefix = EveryNodeReadable });
        var first = await agent.GetAsync("/v1/health/service/web?token=t");
        var raftIndex = agent.Server.Catalog.Index;

        agent.Server.Acl.Set("t", new AclRules { Service = new Dictionary<string, AclRule> { ["web"] = AclRule.Deny }, NodePrefix = EveryNodeReadable });
        var clock = Stopwatch.StartNew();
        var again = await agent.GetAsync($"/v1/health/service/web?token=t&index={first.Index}&wait=400ms");

        Assert.That(first.Json.GetArrayLength(), Is.EqualTo(1));
        Assert.That(agent.Server.Catalog.Index, Is.EqualTo(raftIndex), "no Raft index moved");
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(400)), "nothing woke it");
        Assert.That(again.Index, Is.EqualTo(first.Index));
        Assert.That(again.Body, Is.EqualTo("[]"));
        Assert.That(again.Header("X-Consul-Results-Filtered-By-ACLs"), Is.EqualTo("true"));
    }

    [Test]
    public async Task A_blocking_query_parked_before_a_rules_change_answers_its_deadline_with_what_its_last_run_saw()
    {
        var clock = new TimerWatchingClock();
        await using var agent = await TestAgent.StartAsync(o => o with { Time = clock });
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "web", Port = 80 });
        agent.Server.Acl.Set("t", new AclRules { ServicePrefix = new Dictionary<string, AclRule> { [string.Empty] = AclRule.Read }, NodePrefix = EveryNodeReadable });
        var first = await agent.GetAsync("/v1/health/service/web?token=t");

        var parked = agent.GetAsync($"/v1/health/service/web?token=t&index={first.Index}&wait=400ms");
        // The query has run and waits on the clock for its deadline (400 ms and its jitter): only then do the rules change.
        var deadline = await clock.WaitForTimerAsync(due => due >= TimeSpan.FromMilliseconds(400) && due <= TimeSpan.FromMilliseconds(425));
        agent.Server.Acl.Set("t", AclRules.None);
        clock.Advance(deadline);
        var answer = await parked;

        // Consul filters when the query runs; the answer at the deadline is the last run's.
        Assert.That(answer.Index, Is.EqualTo(first.Index));
        Assert.That(answer.Body, Is.EqualTo(first.Body));
    }

    [Test]
    public async Task A_token_deleted_under_a_parked_query_is_acl_not_found_at_the_next_run()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "web", Port = 80 });
        agent.Server.Acl.Set("t", AclRules.FullAccess);
        var first = await agent.GetAsync("/v1/health/service/web?token=t");

        var parked = agent.GetAsync($"/v1/health/service/web?token=t&index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        agent.Server.Acl.Remove("t");
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Name = "web", Port = 81 });
        var answer = await parked;

        Assert.That((answer.Status, answer.Body), Is.EqualTo((HttpStatusCode.Forbidden, "ACL not found")));
    }

    [Test]
    public async Task Writes_need_write_on_the_service_and_catalog_writes_need_it_on_a_node_they_change()
    {
        await using var agent = await TestAgent.StartAsync();
        var rules = new AclRules { Service = new Dictionary<string, AclRule> { ["web"] = AclRule.Write }, NodePrefix = EveryNodeReadable };
        var accessor = agent.Server.Acl.Set("w", rules).AccessorId;
        const string node = """{ "Node": "n1", "Address": "10.0.0.1", "Service": { "ID": "web-1", "Service": "web", "Port": 80 } }""";

        var web = await agent.PutAsync("/v1/agent/service/register?token=w", """{ "Name": "web", "Check": { "TTL": "1h" } }""");
        var api = await agent.PutAsync("/v1/agent/service/register?token=w", """{ "Name": "api" }""");
        var newNode = await agent.PutAsync("/v1/catalog/register?token=w", node);
        agent.Server.Acl.Set("w", rules with { Node = new Dictionary<string, AclRule> { ["n1"] = AclRule.Write } });
        var nodeWritable = await agent.PutAsync("/v1/catalog/register?token=w", node);
        agent.Server.Acl.Set("w", rules);
        var sameNodeFields = await agent.PutAsync("/v1/catalog/register?token=w",
            """{ "Node": "n1", "Address": "10.0.0.1", "Service": { "ID": "web-2", "Service": "web", "Port": 81 } }""");
        agent.Server.Acl.Set("w", new AclRules { Service = new Dictionary<string, AclRule> { ["web"] = AclRule.Read } });
        var ttl = await agent.PutAsync("/v1/agent/check/pass/service:web?token=w");

        Assert.That(web.Status, Is.EqualTo(HttpStatusCode.OK), web.Body);
        Assert.That((api.Status, api.Body), Is.EqualTo((HttpStatusCode.Forbidden, $"Permission denied: token with AccessorID '{accessor}' lacks permission 'service:write' on \"api\"")));
        Assert.That((newNode.Status, newNode.Body), Is.EqualTo((HttpStatusCode.Forbidden, $"Permission denied: token with AccessorID '{accessor}' lacks permission 'node:write' on \"n1\"")));
        Assert.That(nodeWritable.Status, Is.EqualTo(HttpStatusCode.OK), nodeWritable.Body);
        Assert.That(sameNodeFields.Status, Is.EqualTo(HttpStatusCode.OK), "a write that leaves the node's fields alone needs no node:write");
        Assert.That((ttl.Status, ttl.Body), Is.EqualTo((HttpStatusCode.Forbidden, $"Permission denied: token with AccessorID '{accessor}' lacks permission 'service:write' on \"web\"")));
    }

    [Test]
    public async Task Tokens_are_set_listed_and_deleted_over_http_and_a_deleted_one_is_acl_not_found()
    {
        await using var agent = await TestAgent.StartAsync();
        var open = await agent.GetAsync("/v1/catalog/services?token=s1");

        var set = await agent.PutAsync("/_dev/acl/tokens/s1", """
            { "service_prefix": { "": { "policy": "read" } }, "node": { "dev-agent": { "policy": "write" } } }
            """);
        var listed = await agent.GetAsync("/_dev/acl/tokens");
        var allowed = await agent.GetAsync("/v1/catalog/services?token=s1");
        var deleted = await agent.Http.DeleteAsync("/_dev/acl/tokens/s1");
        var gone = await agent.GetAsync("/v1/catalog/services?token=s1");
        var deletedAgain = await agent.Http.DeleteAsync("/_dev/acl/tokens/s1");
        var badPolicy = await agent.PutAsync("/_dev/acl/tokens/s2", """{ "service": { "web": { "policy": "list" } } }""");
        var unknownResource = await agent.PutAsync("/_dev/acl/tokens/s2", """{ "keys": {} }""");

        Assert.That(open.Header("X-Consul-Default-ACL-Policy"), Is.EqualTo("allow"));
        Assert.That(set.Status, Is.EqualTo(HttpStatusCode.OK), set.Body);
        Assert.That(set.Json.GetProperty("Rules").GetProperty("node").GetProperty("dev-agent").GetProperty("policy").GetString(), Is.EqualTo("write"));
        Assert.That(listed.Json.EnumerateArray().Select(t => t.GetProperty("SecretID").GetString()), Is.EqualTo(new[] { "s1" }));
        Assert.That(listed.Json[0].GetProperty("AccessorID").GetString(), Is.EqualTo(set.Json.GetProperty("AccessorID").GetString()));
        Assert.That(allowed.Json.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "consul" }));
        Assert.That(allowed.Header("X-Consul-Default-ACL-Policy"), Is.EqualTo("deny"));
        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((gone.Status, gone.Body), Is.EqualTo((HttpStatusCode.Forbidden, "ACL not found")));
        Assert.That(deletedAgain.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(badPolicy.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(badPolicy.Body, Does.StartWith("Invalid ACL rules:"));
        Assert.That(unknownResource.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(unknownResource.Body, Does.Contain("keys"));
    }

    [Test]
    public async Task The_required_token_is_a_token_with_every_right()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { RequiredToken = "root" });

        var token = agent.Server.Acl.List().Single();

        Assert.That(token.SecretId, Is.EqualTo("root"));
        Assert.That(token.Rules, Is.SameAs(AclRules.FullAccess));
        Assert.That((await agent.PutAsync("/v1/catalog/register?token=root", """{ "Node": "n9", "Address": "10.0.0.9" }""")).Status, Is.EqualTo(HttpStatusCode.OK));
    }
}
