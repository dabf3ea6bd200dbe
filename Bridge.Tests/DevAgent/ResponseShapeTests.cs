namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class ResponseShapeTests
{
    private const string Web = """
        { "ID": "web-1", "Name": "web", "Address": "10.0.0.1", "Port": 8080, "Tags": ["v1", "v1"],
          "Meta": { "team": "edge" }, "Check": { "TTL": "10m", "Status": "passing" } }
        """;

    [Test]
    public async Task Health_service_entries_carry_consuls_field_names()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(Web);

        var reply = await agent.GetAsync("/v1/health/service/web");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(reply.ContentHeaders.ContentType?.MediaType, Is.EqualTo("application/json"));
        var entry = reply.Json.EnumerateArray().Single();
        Assert.That(Names(entry), Is.EqualTo(new[] { "Node", "Service", "Checks" }));
        Assert.That(Names(entry.GetProperty("Node")), Is.EqualTo(new[]
        {
            "ID", "Node", "Address", "Datacenter", "TaggedAddresses", "Meta", "CreateIndex", "ModifyIndex",
        }));
        Assert.That(Names(entry.GetProperty("Service")), Is.EquivalentTo(new[]
        {
            "ID", "Service", "Tags", "Address", "TaggedAddresses", "Meta", "Port", "Weights", "EnableTagOverride",
            "Proxy", "Connect", "CreateIndex", "ModifyIndex",
        }));
        var service = entry.GetProperty("Service");
        Assert.Multiple(() =>
        {
            Assert.That(service.GetProperty("ID").GetString(), Is.EqualTo("web-1"));
            Assert.That(service.GetProperty("Port").GetInt32(), Is.EqualTo(8080));
            Assert.That(service.GetProperty("Weights").GetRawText(), Is.EqualTo("""{"Passing":1,"Warning":1}"""));
            Assert.That(service.GetProperty("TaggedAddresses").GetProperty("lan_ipv4").GetRawText(), Is.EqualTo("""{"Address":"10.0.0.1","Port":8080}"""));
            Assert.That(service.GetProperty("Meta").GetProperty("team").GetString(), Is.EqualTo("edge"));
            Assert.That(entry.GetProperty("Node").GetProperty("Datacenter").GetString(), Is.EqualTo("dc1"));
        });
        var check = entry.GetProperty("Checks")[1];
        Assert.That(Names(check), Is.EqualTo(new[]
        {
            "Node", "CheckID", "Name", "Status", "Notes", "Output", "ServiceID", "ServiceName", "ServiceTags",
            "Type", "Interval", "Timeout", "ExposedPort", "Definition", "CreateIndex", "ModifyIndex",
        }));
    }

    [Test]
    public async Task Every_instance_on_the_agent_node_carries_the_serf_health_node_check_first()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(Web);

        var checks = (await agent.GetAsync("/v1/health/service/web")).Json[0].GetProperty("Checks");

        var serf = checks[0];
        Assert.Multiple(() =>
        {
            Assert.That(serf.GetProperty("CheckID").GetString(), Is.EqualTo("serfHealth"));
            Assert.That(serf.GetProperty("Name").GetString(), Is.EqualTo("Serf Health Status"));
            Assert.That(serf.GetProperty("Status").GetString(), Is.EqualTo("passing"));
            Assert.That(serf.GetProperty("ServiceID").GetString(), Is.Empty);
            Assert.That(serf.GetProperty("ServiceTags").GetArrayLength(), Is.Zero);
            Assert.That(checks[1].GetProperty("CheckID").GetString(), Is.EqualTo("service:web-1"));
            Assert.That(checks[1].GetProperty("Name").GetString(), Is.EqualTo("Service 'web' check"));
        });
    }

    [Test]
    public async Task Tags_and_checks_are_never_null()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterCatalogAsync("""{ "Node": "bare", "Address": "10.0.0.9", "Service": { "Service": "plain", "Port": 1 } }""");

        var entry = (await agent.GetAsync("/v1/health/service/plain")).Json[0];

        Assert.Multiple(() =>
        {
            Assert.That(entry.GetProperty("Service").GetProperty("Tags").ValueKind, Is.EqualTo(JsonValueKind.Array));
            Assert.That(entry.GetProperty("Checks").ValueKind, Is.EqualTo(JsonValueKind.Array));
            Assert.That(entry.GetProperty("Checks").GetArrayLength(), Is.Zero, "external nodes have no serfHealth");

            // Go nil maps are null on the wire; clients must cope.
            Assert.That(entry.GetProperty("Service").GetProperty("Meta").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(entry.GetProperty("Node").GetProperty("TaggedAddresses").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(entry.GetProperty("Service").GetProperty("ID").GetString(), Is.EqualTo("plain"));
            Assert.That(entry.GetProperty("Service").TryGetProperty("Kind", out _), Is.False, "Kind is omitempty");
        });
    }

    [Test]
    public async Task Health_service_keeps_duplicate_tags_while_catalog_services_dedupes_them()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(Web);
        await agent.RegisterCatalogAsync("""{ "Node": "n2", "Address": "10.0.0.2", "Service": { "ID": "web-2", "Service": "web", "Tags": ["v2", "v1"] } }""");

        var health = await agent.GetAsync("/v1/health/service/web");
        var services = await agent.GetAsync("/v1/catalog/services");

        Assert.That(health.Json[0].GetProperty("Service").GetProperty("Tags").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "v1", "v1" }));
        var catalog = services.Json;
        Assert.That(Names(catalog), Is.EqualTo(new[] { "consul", "web" }), "the built-in consul service is listed");
        Assert.That(catalog.GetProperty("consul").GetArrayLength(), Is.Zero);
        Assert.That(catalog.GetProperty("web").EnumerateArray().Select(t => t.GetString()), Is.EquivalentTo(new[] { "v1", "v2" }));
        Assert.That(services.Index, Is.GreaterThan(1UL));
    }

    [Test]
    public async Task Unknown_service_returns_an_empty_array_with_an_index()
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.GetAsync("/v1/health/service/nope");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(reply.Body, Is.EqualTo("[]"));
        Assert.That(reply.Index, Is.GreaterThanOrEqualTo(1UL));
    }

    [Test]
    public async Task Reads_carry_consuls_query_meta_headers()
    {
        await using var agent = await TestAgent.StartAsync();

        var leader = await agent.GetAsync("/v1/catalog/services");
        var stale = await agent.GetAsync("/v1/health/service/consul?stale");
        var consistent = await agent.GetAsync("/v1/health/service/consul?consistent");

        Assert.Multiple(() =>
        {
            Assert.That(leader.Header("X-Consul-KnownLeader"), Is.EqualTo("true"));
            Assert.That(leader.Header("X-Consul-LastContact"), Is.EqualTo("0"));
            Assert.That(leader.Header("X-Consul-Effective-Consistency"), Is.EqualTo("leader"));
            Assert.That(leader.Header("X-Consul-Default-ACL-Policy"), Is.EqualTo("allow"));
            Assert.That(stale.Header("X-Consul-Effective-Consistency"), Is.EqualTo("stale"));
            Assert.That(consistent.Header("X-Consul-Effective-Consistency"), Is.EqualTo("consistent"));
        });
    }

    [Test]
    public async Task Index_header_is_never_zero()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Catalog.ResetIndex(0);

        var services = await agent.GetAsync("/v1/catalog/services");
        var missing = await agent.GetAsync("/v1/health/service/nope");

        Assert.That(services.Index, Is.EqualTo(1UL));
        Assert.That(missing.Index, Is.EqualTo(1UL));
    }

    [Test]
    public async Task Catalog_service_returns_the_flattened_service_node_shape()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(Web);

        var entry = (await agent.GetAsync("/v1/catalog/service/web")).Json.EnumerateArray().Single();

        Assert.That(Names(entry), Is.EqualTo(new[]
        {
            "ID", "Node", "Address", "Datacenter", "TaggedAddresses", "NodeMeta", "ServiceKind", "ServiceID", "ServiceName",
            "ServiceTags", "ServiceAddress", "ServiceTaggedAddresses", "ServiceWeights", "ServiceMeta", "ServicePort",
            "ServiceEnableTagOverride", "ServiceProxy", "ServiceConnect", "CreateIndex", "ModifyIndex",
        }));
        Assert.That(entry.GetProperty("ServicePort").GetInt32(), Is.EqualTo(8080));
        Assert.That(entry.GetProperty("Node").GetString(), Is.EqualTo("dev-agent"));
    }

    [Test]
    public async Task Health_state_lists_checks_in_a_state_and_an_unknown_state_matches_none()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "api", "Name": "api", "Check": { "TTL": "10m" } }""");

        var any = await agent.GetAsync("/v1/health/state/any");
        var critical = await agent.GetAsync("/v1/health/state/critical");
        var passing = await agent.GetAsync("/v1/health/state/passing");
        var bogus = await agent.GetAsync("/v1/health/state/bogus");

        Assert.Multiple(() =>
        {
            Assert.That(any.Json.EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()), Is.EqualTo(new[] { "serfHealth", "service:api" }));
            Assert.That(critical.Json.EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()), Is.EqualTo(new[] { "service:api" }));
            Assert.That(passing.Json.EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()), Is.EqualTo(new[] { "serfHealth" }));

            // Consul's server validates no state: only the Go client rejects unknown ones.
            Assert.That(bogus.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(bogus.Body, Is.EqualTo("[]"));
            Assert.That(any.Index, Is.EqualTo(bogus.Index));
        });
    }

    [Test]
    public async Task Datacenters_lists_the_agents_datacenter_without_blocking_headers()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { Datacenter = "eu-west" });

        var reply = await agent.GetAsync("/v1/catalog/datacenters?index=5&wait=10s");

        Assert.That(reply.Body, Is.EqualTo("""["eu-west"]"""));
        Assert.That(reply.Header("X-Consul-Index"), Is.Null);
    }

    [Test]
    public async Task Catalog_nodes_lists_every_node()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterCatalogAsync("""{ "Node": "n2", "Address": "10.0.0.2", "NodeMeta": { "rack": "r1" } }""");

        var all = await agent.GetAsync("/v1/catalog/nodes");
        var rack = await agent.GetAsync("/v1/catalog/nodes?node-meta=rack:r1");

        Assert.That(all.Json.EnumerateArray().Select(n => n.GetProperty("Node").GetString()), Is.EqualTo(new[] { "dev-agent", "n2" }));
        Assert.That(rack.Json.EnumerateArray().Select(n => n.GetProperty("Node").GetString()), Is.EqualTo(new[] { "n2" }));
    }

    [Test]
    public async Task Pretty_indents_with_four_spaces_and_a_trailing_newline()
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.GetAsync("/v1/catalog/datacenters?pretty");

        Assert.That(reply.Body, Is.EqualTo("[\n    \"dc1\"\n]\n"));
    }

    [Test]
    public async Task Unknown_paths_and_methods_get_consuls_answers()
    {
        await using var agent = await TestAgent.StartAsync();

        var unknown = await agent.GetAsync("/v1/nope");
        using var post = await agent.Http.PostAsync("/v1/catalog/services", null);

        Assert.That(unknown.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(unknown.Body, Is.EqualTo("Invalid URL path: not a recognized HTTP API endpoint\n"));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(await post.Content.ReadAsStringAsync(), Is.EqualTo("method POST not allowed"));
        Assert.That(post.Content.Headers.Allow, Is.EquivalentTo(new[] { "OPTIONS", "GET" }));
    }

    private static string[] Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();
}
