using Bridge.DevAgent;
using Bridge.DevAgent.Catalog;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class AgentWriteTests
{
    [Test]
    public async Task A_ttl_check_starts_critical_with_the_default_id_and_name()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Check": { "TTL": "30s", "Notes": "heartbeat" } }""");

        var check = (await agent.GetAsync("/v1/health/service/web")).Json[0].GetProperty("Checks")[1];

        Assert.Multiple(() =>
        {
            Assert.That(check.GetProperty("CheckID").GetString(), Is.EqualTo("service:web-1"));
            Assert.That(check.GetProperty("Name").GetString(), Is.EqualTo("Service 'web' check"));
            Assert.That(check.GetProperty("Status").GetString(), Is.EqualTo("critical"));
            Assert.That(check.GetProperty("Type").GetString(), Is.EqualTo("ttl"));
            Assert.That(check.GetProperty("Notes").GetString(), Is.EqualTo("heartbeat"));
        });
    }

    [Test]
    public async Task Several_checks_get_numbered_default_ids()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""
            { "ID": "web-1", "Name": "web", "Check": { "TTL": "30s" },
              "Checks": [ { "HTTP": "http://127.0.0.1:1/health", "Interval": "10s", "Status": "passing" } ] }
            """);

        var checks = (await agent.GetAsync("/v1/health/service/web")).Json[0].GetProperty("Checks");

        Assert.That(checks.EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()), Is.EqualTo(new[] { "serfHealth", "service:web-1:1", "service:web-1:2" }));
        Assert.That(checks[2].GetProperty("Type").GetString(), Is.EqualTo("http"));
        Assert.That(checks[2].GetProperty("Interval").GetString(), Is.EqualTo("10s"));
        Assert.That(checks[2].GetProperty("Status").GetString(), Is.EqualTo("passing"));
    }

    [TestCase("pass", "passing")]
    [TestCase("warn", "warning")]
    [TestCase("fail", "critical")]
    public async Task Ttl_endpoints_set_status_and_put_the_note_in_output(string verb, string status)
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Check": { "TTL": "30s" } }""");

        var reply = await agent.PutAsync($"/v1/agent/check/{verb}/service:web-1?note=hello%20there");
        var check = (await agent.GetAsync("/v1/health/service/web")).Json[0].GetProperty("Checks")[1];

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(reply.Body, Is.Empty);
        Assert.That(check.GetProperty("Status").GetString(), Is.EqualTo(status));
        Assert.That(check.GetProperty("Output").GetString(), Is.EqualTo("hello there"));
    }

    [Test]
    public async Task Check_update_takes_status_and_output_from_the_body()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Check": { "TTL": "30s" } }""");

        var ok = await agent.PutAsync("/v1/agent/check/update/service:web-1", """{ "Status": "warning", "Output": "disk 91%" }""");
        var bad = await agent.PutAsync("/v1/agent/check/update/service:web-1", """{ "Status": "meh" }""");
        var check = (await agent.GetAsync("/v1/health/service/web")).Json[0].GetProperty("Checks")[1];

        Assert.That(ok.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((bad.Status, bad.Body), Is.EqualTo((HttpStatusCode.BadRequest, "Invalid check status: 'meh'")));
        Assert.That(check.GetProperty("Output").GetString(), Is.EqualTo("disk 91%"));
    }

    [Test]
    public async Task Unknown_checks_and_checks_without_ttl_get_consuls_errors()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web" }""");
        await agent.PutAsync("/v1/agent/service/maintenance/web-1?enable=true");

        var unknown = await agent.PutAsync("/v1/agent/check/pass/nope");
        var noTtl = await agent.PutAsync("/v1/agent/check/pass/_service_maintenance:web-1");

        Assert.That(unknown.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(unknown.Body, Is.EqualTo("Unknown check ID \"nope\". Ensure that the check ID is passed, not the check name."));
        Assert.That(noTtl.Status, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(noTtl.Body, Is.EqualTo("CheckID \"_service_maintenance:web-1\" does not have associated TTL"));
    }

    [Test]
    public async Task Service_maintenance_adds_a_critical_check_with_the_reason_as_notes()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Check": { "TTL": "30s", "Status": "passing" } }""");

        await agent.PutAsync("/v1/agent/service/maintenance/web-1?enable=true&reason=deploying");
        var during = (await agent.GetAsync("/v1/health/service/web")).Json[0].GetProperty("Checks");
        var passing = await agent.GetAsync("/v1/health/service/web?passing");
        await agent.PutAsync("/v1/agent/service/maintenance/web-1?enable=false");
        var after = (await agent.GetAsync("/v1/health/service/web")).Json[0].GetProperty("Checks");

        var maintenance = during.EnumerateArray().Single(c => c.GetProperty("CheckID").GetString() == "_service_maintenance:web-1");
        Assert.Multiple(() =>
        {
            Assert.That(maintenance.GetProperty("Name").GetString(), Is.EqualTo("Service Maintenance Mode"));
            Assert.That(maintenance.GetProperty("Status").GetString(), Is.EqualTo("critical"));
            Assert.That(maintenance.GetProperty("Notes").GetString(), Is.EqualTo("deploying"));
            Assert.That(maintenance.GetProperty("ServiceID").GetString(), Is.EqualTo("web-1"));
            Assert.That(maintenance.GetProperty("ServiceName").GetString(), Is.EqualTo("web"));
            Assert.That(passing.Body, Is.EqualTo("[]"));
            Assert.That(after.GetArrayLength(), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Service_maintenance_errors_match_consul()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web" }""");

        var unknown = await agent.PutAsync("/v1/agent/service/maintenance/web?enable=true");
        var noEnable = await agent.PutAsync("/v1/agent/service/maintenance/web-1");
        var badEnable = await agent.PutAsync("/v1/agent/service/maintenance/web-1?enable=maybe");

        Assert.That((unknown.Status, unknown.Body), Is.EqualTo((HttpStatusCode.NotFound, "Unknown service ID \"web\". Ensure that the service ID is passed, not the service name.")));
        Assert.That((noEnable.Status, noEnable.Body), Is.EqualTo((HttpStatusCode.BadRequest, "Missing value for enable")));
        Assert.That((badEnable.Status, badEnable.Body), Is.EqualTo((HttpStatusCode.BadRequest, "Invalid value for enable: \"maybe\"")));
    }

    [Test]
    public async Task Node_maintenance_shows_in_every_instance_on_the_node_with_the_default_reason()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web" }""");
        await agent.RegisterAsync("""{ "ID": "api-1", "Name": "api" }""");

        await agent.PutAsync("/v1/agent/maintenance?enable=true");

        foreach (var service in new[] { "web", "api" })
        {
            var check = (await agent.GetAsync($"/v1/health/service/{service}")).Json[0].GetProperty("Checks")
                .EnumerateArray().Single(c => c.GetProperty("CheckID").GetString() == "_node_maintenance");
            Assert.That(check.GetProperty("Name").GetString(), Is.EqualTo("Node Maintenance Mode"));
            Assert.That(check.GetProperty("ServiceID").GetString(), Is.Empty);
            Assert.That(check.GetProperty("Notes").GetString(), Does.StartWith("Maintenance mode is enabled for this node"));
        }
    }

    [Test]
    public async Task Deregistering_an_absent_service_is_a_no_op()
    {
        await using var agent = await TestAgent.StartAsync();
        var before = agent.Server.Catalog.Index;

        var reply = await agent.PutAsync("/v1/agent/service/deregister/ghost");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(agent.Server.Catalog.Index, Is.EqualTo(before));
    }

    [Test]
    public async Task Replace_existing_checks_drops_checks_the_registration_no_longer_lists()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Checks": [ { "CheckID": "a", "TTL": "30s" }, { "CheckID": "b", "TTL": "30s" } ] }""");

        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Checks": [ { "CheckID": "a", "TTL": "30s" } ] }""");
        var kept = await agent.GetAsync("/v1/health/state/any");
        var replaced = await agent.PutAsync("/v1/agent/service/register?replace-existing-checks", """{ "ID": "web-1", "Name": "web", "Checks": [ { "CheckID": "a", "TTL": "30s" } ] }""");
        var after = await agent.GetAsync("/v1/health/state/any");

        Assert.That(replaced.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(kept.Json.EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()), Is.EqualTo(new[] { "a", "b", "serfHealth" }));
        Assert.That(after.Json.EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()), Is.EqualTo(new[] { "a", "serfHealth" }));
    }

    [TestCase("""{ "Port": 1 }""", "Missing service name")]
    [TestCase("""{ "Name": "web", "Address": "0.0.0.0" }""", "Invalid service address")]
    [TestCase("""{ "Name": "web", "Check": { "TTL": "5s", "Status": "ok" } }""", "Status for checks must 'passing', 'warning', 'critical'")]
    [TestCase("""{ "Name": "web", "Check": { "Notes": "no ttl" } }""", "Invalid check: TTL must be > 0 for TTL checks")]
    [TestCase("", "Request decode failed: EOF")]
    public async Task Invalid_registrations_are_400s_with_consuls_messages(string body, string message)
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.PutAsync("/v1/agent/service/register", body);

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(reply.Body, Is.EqualTo(message));
    }

    [Test]
    public async Task A_wrongly_typed_body_is_a_400_request_decode_failed()
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.PutAsync("/v1/agent/service/register", """{ "Name": "web", "Port": "8080" }""");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(reply.Body, Does.StartWith("Request decode failed: "));
    }

    [Test]
    public async Task Register_bodies_match_field_names_case_insensitively()
    {
        await using var agent = await TestAgent.StartAsync();

        await agent.RegisterAsync("""{ "id": "web-1", "name": "web", "port": 81, "taggedaddresses": { "lan": { "address": "10.1.1.1", "port": 82 } } }""");
        var service = (await agent.GetAsync("/v1/health/service/web")).Json[0].GetProperty("Service");

        Assert.That(service.GetProperty("ID").GetString(), Is.EqualTo("web-1"));
        Assert.That(service.GetProperty("Port").GetInt32(), Is.EqualTo(81));
        Assert.That(service.GetProperty("TaggedAddresses").GetProperty("lan").GetRawText(), Is.EqualTo("""{"Address":"10.1.1.1","Port":82}"""));
    }

    [Test]
    public async Task An_expired_ttl_turns_critical_and_wakes_watchers()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Check": { "TTL": "300ms" } }""");
        await agent.PutAsync("/v1/agent/check/pass/service:web-1?note=alive");
        var passedAt = agent.Server.Catalog.Index;

        var expired = await agent.GetAsync($"/v1/health/service/web?index={passedAt}&wait=10s");

        var check = expired.Json[0].GetProperty("Checks")[1];
        Assert.That(expired.Index, Is.GreaterThan(passedAt));
        Assert.That(check.GetProperty("Status").GetString(), Is.EqualTo("critical"));
        Assert.That(check.GetProperty("Output").GetString(), Is.EqualTo("TTL expired (last output before timeout follows): alive"));
    }

    [Test]
    public async Task Catalog_register_puts_instances_on_many_nodes_and_deregister_removes_a_node()
    {
        await using var agent = await TestAgent.StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            await agent.RegisterCatalogAsync($$"""
                { "Node": "node-{{i}}", "Address": "10.0.0.{{i}}", "TaggedAddresses": { "lan": "10.0.0.{{i}}" },
                  "Service": { "ID": "web", "Service": "web", "Port": 8080 },
                  "Checks": [ { "CheckID": "serfHealth", "Name": "Serf Health Status", "Status": "passing" },
                              { "CheckID": "web-http", "Name": "web", "Status": "passing", "ServiceID": "web" } ] }
                """);
        }

        var three = await agent.GetAsync("/v1/health/service/web");
        var removed = await agent.PutAsync("/v1/catalog/deregister", """{ "Node": "node-2" }""");
        var two = await agent.GetAsync("/v1/health/service/web");

        Assert.That(three.Json.EnumerateArray().Select(e => e.GetProperty("Node").GetProperty("Node").GetString()), Is.EqualTo(new[] { "node-1", "node-2", "node-3" }));
        Assert.That(three.Json[0].GetProperty("Checks").EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()), Is.EqualTo(new[] { "serfHealth", "web-http" }));
        Assert.That((removed.Status, removed.Body), Is.EqualTo((HttpStatusCode.OK, "true")));
        Assert.That(two.Json.EnumerateArray().Select(e => e.GetProperty("Node").GetProperty("Node").GetString()), Is.EqualTo(new[] { "node-1", "node-3" }));
    }

    [TestCase("""{ "Address": "10.0.0.1" }""", "Must provide node")]
    [TestCase("""{ "Node": "n1" }""", "Must provide address if SkipNodeUpdate is not set")]
    [TestCase("""{ "Node": "n1", "Address": "10.0.0.1", "Datacenter": "dc9" }""", "No path to datacenter")]
    [TestCase("""{ "Node": "n1", "Address": "10.0.0.1", "Service": { "ID": "x" } }""", "Must provide service name (Service.Service) when service ID is provided")]
    public async Task Invalid_catalog_registrations_are_500s_with_consuls_messages(string body, string message)
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.PutAsync("/v1/catalog/register", body);

        Assert.That((reply.Status, reply.Body), Is.EqualTo((HttpStatusCode.InternalServerError, message)));
    }

    [Test]
    public void The_csharp_catalog_raises_the_http_errors()
    {
        var ex = Assert.ThrowsAsync<DevAgentException>(async () =>
        {
            await using var agent = await TestAgent.StartAsync();
            agent.Server.Catalog.SetServiceMaintenance("ghost", enable: true);
        });

        Assert.That(ex!.StatusCode, Is.EqualTo(404));
    }

    [Test]
    public async Task The_csharp_catalog_can_set_checks_on_any_node()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Catalog.RegisterCatalogEntry(new CatalogRegistration
        {
            Node = "n1",
            Address = "10.0.0.1",
            Service = new CatalogServiceRegistration { Id = "w", Service = "web" },
            Checks = [new CatalogCheckRegistration { CheckId = "probe", Name = "probe", Status = "passing", ServiceId = "w" }],
        });

        agent.Server.Catalog.SetCheckStatus("probe", CheckStatus.Warning, "slow", node: "n1");
        var check = (await agent.GetAsync("/v1/health/service/web")).Json[0].GetProperty("Checks")[0];

        Assert.That(check.GetProperty("Status").GetString(), Is.EqualTo("warning"));
        Assert.That(check.GetProperty("Output").GetString(), Is.EqualTo("slow"));
    }
}
