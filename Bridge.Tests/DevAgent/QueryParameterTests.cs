namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class QueryParameterTests
{
    [TestCase("wait=10")]
    [TestCase("wait=abc")]
    [TestCase("wait=5 s")]
    [TestCase("index=1&wait=1x")]
    public async Task An_unparsable_wait_is_a_400_invalid_wait_time(string query)
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.GetAsync("/v1/health/service/web?" + query);

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(reply.Body, Is.EqualTo("Invalid wait time"));
    }

    [TestCase("index=-1")]
    [TestCase("index=abc")]
    [TestCase("index=1.5")]
    public async Task An_unparsable_index_is_a_400_invalid_index(string query)
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.GetAsync("/v1/catalog/services?" + query);

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(reply.Body, Is.EqualTo("Invalid index"));
    }

    [TestCase("1m30s")]
    [TestCase("100ms")]
    [TestCase("1.5s")]
    public async Task Go_duration_waits_are_accepted(string wait)
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.GetAsync("/v1/catalog/services?wait=" + wait);

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Stale_together_with_consistent_is_a_400()
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.GetAsync("/v1/health/service/web?stale&consistent");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(reply.Body, Is.EqualTo("Cannot specify ?stale with ?consistent, conflicting semantics."));
    }

    [Test]
    public async Task Another_datacenter_is_a_500_no_path_to_datacenter()
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.GetAsync("/v1/health/service/web?dc=dc2");
        var own = await agent.GetAsync("/v1/health/service/web?dc=dc1");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(reply.Body, Is.EqualTo("No path to datacenter"));
        Assert.That(reply.ContentHeaders.ContentType?.ToString(), Is.EqualTo("text/plain; charset=utf-8"));
        Assert.That(own.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("passing")]
    [TestCase("passing=true")]
    [TestCase("passing=1")]
    [TestCase("passing=T")]
    public async Task Passing_keeps_only_instances_whose_every_check_passes(string query)
    {
        await using var agent = await Seeded();

        var reply = await agent.GetAsync("/v1/health/service/web?" + query);

        Assert.That(Ids(reply), Is.EqualTo(new[] { "web-ok" }));
    }

    [TestCase("")]
    [TestCase("?passing=false")]
    [TestCase("?passing=0")]
    public async Task Without_passing_every_instance_is_listed(string query)
    {
        await using var agent = await Seeded();

        var reply = await agent.GetAsync("/v1/health/service/web" + query);

        Assert.That(Ids(reply), Is.EqualTo(new[] { "web-critical", "web-ok", "web-warning" }));
    }

    [Test]
    public async Task An_invalid_passing_value_is_a_400_that_still_carries_the_index()
    {
        await using var agent = await Seeded();

        var reply = await agent.GetAsync("/v1/health/service/web?passing=bogus");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(reply.Body, Is.EqualTo("Invalid value for ?passing"));
        Assert.That(reply.Index, Is.GreaterThan(1UL));
    }

    [Test]
    public async Task Repeated_tags_are_anded_and_matched_case_insensitively()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "a", "Name": "web", "Tags": ["blue", "v1"] }""");
        await agent.RegisterAsync("""{ "ID": "b", "Name": "web", "Tags": ["blue", "v2"] }""");

        var blue = await agent.GetAsync("/v1/health/service/web?tag=blue");
        var blueV2 = await agent.GetAsync("/v1/health/service/web?tag=blue&tag=V2");
        var catalogV1 = await agent.GetAsync("/v1/catalog/service/web?tag=v1");

        Assert.That(Ids(blue), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(Ids(blueV2), Is.EqualTo(new[] { "b" }));
        Assert.That(catalogV1.Json.EnumerateArray().Select(e => e.GetProperty("ServiceID").GetString()), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public async Task Node_meta_filters_instances_by_their_node()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterCatalogAsync("""{ "Node": "n1", "Address": "10.0.0.1", "NodeMeta": { "zone": "a" }, "Service": { "ID": "w1", "Service": "web" } }""");
        await agent.RegisterCatalogAsync("""{ "Node": "n2", "Address": "10.0.0.2", "NodeMeta": { "zone": "b" }, "Service": { "ID": "w2", "Service": "web" } }""");

        var zoneB = await agent.GetAsync("/v1/health/service/web?node-meta=zone:b");

        Assert.That(Ids(zoneB), Is.EqualTo(new[] { "w2" }));
    }

    private static async Task<TestAgent> Seeded()
    {
        var agent = await TestAgent.StartAsync();
        foreach (var (id, status) in new[] { ("web-ok", "passing"), ("web-warning", "warning"), ("web-critical", "critical") })
        {
            await agent.RegisterAsync($$"""{ "ID": "{{id}}", "Name": "web", "Check": { "TTL": "10m", "Status": "{{status}}" } }""");
        }

        return agent;
    }

    private static string?[] Ids(Reply reply) =>
        reply.Json.EnumerateArray().Select(e => e.GetProperty("Service").GetProperty("ID").GetString()).ToArray();
}
