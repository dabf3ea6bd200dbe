using Bridge.DevAgent.Acl;
using Bridge.DevAgent.Catalog;

namespace Bridge.Tests.DevAgent.Filtering;

/// <summary><c>?filter=</c> on the catalog and health reads, as Consul's servers apply it.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class FilterEndpointTests
{
    private const string V2 = "Service.Meta.version%20%3D%3D%20v2";

    [Test]
    public async Task Health_service_keeps_only_matching_instances_and_reports_the_services_index()
    {
        await using var agent = await Versions();

        var all = await agent.GetAsync("/v1/health/service/web");
        var v2 = await agent.GetAsync("/v1/health/service/web?filter=" + V2);

        Assert.That(Ids(v2), Is.EqualTo(new[] { "web-2" }));
        Assert.That(v2.Index, Is.EqualTo(all.Index));
    }

    [Test]
    public async Task The_filter_runs_on_the_server_before_passing_drops_unhealthy_instances()
    {
        await using var agent = await Versions();
        agent.Server.Catalog.SetCheckStatus("service:web-3", CheckStatus.Warning, node: "node-b");

        var filtered = await agent.GetAsync("/v1/health/service/web?passing&filter=" + Uri.EscapeDataString("Service.Meta.version != v1"));

        Assert.That(Ids(filtered), Is.EqualTo(new[] { "web-2" }));
    }

    [Test]
    public async Task A_filtered_blocking_query_returns_on_any_change_to_the_service_even_one_it_filters_out()
    {
        await using var agent = await Versions();
        var first = await agent.GetAsync("/v1/health/service/web?filter=" + V2);

        var watch = agent.GetAsync($"/v1/health/service/web?filter={V2}&index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        Assert.That(watch.IsCompleted, Is.False);
        agent.Server.Catalog.SetCheckStatus("service:web-1", CheckStatus.Critical);
        var woken = await watch;

        Assert.That(woken.Index, Is.GreaterThan(first.Index));
        Assert.That(woken.Body, Is.EqualTo(first.Body), "web-1 is filtered out: same body, new index, as Consul answers");
    }

    [Test]
    public async Task An_invalid_expression_is_consuls_500_without_an_index()
    {
        await using var agent = await Versions();

        var unparsable = await agent.GetAsync("/v1/health/service/web?filter=foo");
        var unknownField = await agent.GetAsync("/v1/health/service/web?filter=" + Uri.EscapeDataString("Service.Version == 2"));

        Assert.That((unparsable.Status, unparsable.Body), Is.EqualTo((HttpStatusCode.InternalServerError,
            "Failed to create boolean expression evaluator: 1:4 (3): no match found, expected: \"!=\", \".\", \"==\", \"[\", [ \\t\\r\\n] or [a-zA-Z0-9_]")));
        Assert.That(unparsable.Header("X-Consul-Index"), Is.Null);
        Assert.That(unknownField.Body, Is.EqualTo("Failed to create boolean expression evaluator: Selector \"Service.Version\" is not valid"));
    }

    [Test]
    public async Task An_unknown_token_is_refused_before_the_expression_is_read()
    {
        await using var agent = await Versions();
        agent.Server.Acl.Set("known", AclRules.FullAccess);

        var reply = await agent.GetAsync("/v1/health/service/web?filter=foo&token=unknown");

        Assert.That((reply.Status, reply.Body), Is.EqualTo((HttpStatusCode.Forbidden, "ACL not found")));
    }

    [Test]
    public async Task The_filter_sees_only_what_the_token_may_read_and_the_acl_header_means_what_it_means_without_one()
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

        agent.Server.Acl.Set("t", new AclRules
        {
            ServicePrefix = new Dictionary<string, AclRule> { [string.Empty] = AclRule.Read },
            Node = new Dictionary<string, AclRule> { ["n1"] = AclRule.Read },
        });

        var onlyReadable = await agent.GetAsync("/v1/health/service/web?token=t&filter=" + Uri.EscapeDataString("Node.Node == n1"));
        var onlyHidden = await agent.GetAsync("/v1/health/service/web?token=t&filter=" + Uri.EscapeDataString("Node.Node == n2"));

        Assert.That(Ids(onlyReadable), Is.EqualTo(new[] { "web-n1" }));
        Assert.That(onlyReadable.Header("X-Consul-Results-Filtered-By-ACLs"), Is.EqualTo("true"));
        Assert.That(onlyHidden.Body, Is.EqualTo("[]"));
    }

    [Test]
    public async Task Catalog_service_filters_on_the_flattened_fields()
    {
        await using var agent = await Versions();

        var reply = await agent.GetAsync("/v1/catalog/service/web?filter=" + Uri.EscapeDataString("ServiceMeta.version != v1 and ServicePort == 8080"));
        var wrongShape = await agent.GetAsync("/v1/catalog/service/web?filter=" + V2);

        Assert.That(reply.Json.EnumerateArray().Select(e => e.GetProperty("ServiceID").GetString()), Is.EqualTo(new[] { "web-2" }));
        Assert.That(wrongShape.Body, Is.EqualTo("Failed to create boolean expression evaluator: Selector \"Service\" is not valid"));
    }

    [Test]
    public async Task Catalog_services_lists_only_services_with_a_matching_instance_and_their_tags()
    {
        await using var agent = await Versions();
        agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration { Id = "api-1", Name = "api", Tags = ["grpc"] });

        var reply = await agent.GetAsync("/v1/catalog/services?filter=" + Uri.EscapeDataString("ServiceTags contains blue"));

        Assert.That(reply.Json.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "web" }));
        Assert.That(reply.Json.GetProperty("web").EnumerateArray().Select(t => t.GetString()), Is.EquivalentTo(new[] { "blue" }));
    }

    [Test]
    public async Task Catalog_nodes_and_health_state_filter_nodes_and_checks()
    {
        await using var agent = await Versions();
        agent.Server.Catalog.SetCheckStatus("service:web-3", CheckStatus.Critical, node: "node-b");

        var nodes = await agent.GetAsync("/v1/catalog/nodes?filter=" + Uri.EscapeDataString("Meta.zone == b"));
        var checks = await agent.GetAsync("/v1/health/state/any?filter=" + Uri.EscapeDataString("Status == critical and ServiceTags is empty"));

        Assert.That(nodes.Json.EnumerateArray().Select(n => n.GetProperty("Node").GetString()), Is.EqualTo(new[] { "node-b" }));
        Assert.That(checks.Json.EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()), Is.EqualTo(new[] { "service:web-3" }));
    }

    private static IEnumerable<string?> Ids(Reply reply) =>
        reply.Json.EnumerateArray().Select(e => e.GetProperty("Service").GetProperty("ID").GetString()).Order(StringComparer.Ordinal);

    // web-1 (v1) and web-2 (v2) on the agent's node, web-3 (v3) on node-b in zone b.
    private static async Task<TestAgent> Versions()
    {
        var agent = await TestAgent.StartAsync();
        foreach (var (id, version, port) in new[] { ("web-1", "v1", 8080), ("web-2", "v2", 8080) })
        {
            agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration
            {
                Id = id,
                Name = "web",
                Port = port,
                Tags = version == "v2" ? ["blue"] : [],
                Meta = new Dictionary<string, string> { ["version"] = version },
                Check = new AgentCheckRegistration { Ttl = TimeSpan.FromHours(1), Status = "passing" },
            });
        }

        agent.Server.Catalog.RegisterCatalogEntry(new CatalogRegistration
        {
            Node = "node-b",
            Address = "10.0.0.2",
            NodeMeta = new Dictionary<string, string> { ["zone"] = "b" },
            Service = new CatalogServiceRegistration { Id = "web-3", Service = "web", Port = 8081, Meta = new Dictionary<string, string> { ["version"] = "v3" } },
            Check = new CatalogCheckRegistration { CheckId = "service:web-3", Name = "web-3", Status = "passing", ServiceId = "web-3" },
        });
        return agent;
    }
}
