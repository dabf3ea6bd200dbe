using Bridge.DevAgent.ConfigEntries;

namespace Bridge.Tests.DevAgent.ConfigEntries;

/// <summary><c>/v1/config</c>: shapes, names, indexes, check-and-set and refusals of the request itself.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class ConfigEntryApiTests
{
    [Test]
    public async Task A_written_entry_reads_back_with_consuls_fields_and_the_config_entries_index()
    {
        await using var agent = await TestAgent.StartAsync();

        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "HTTP" }""");
        var read = await agent.GetAsync("/v1/config/service-defaults/web");
        var index = agent.Server.Catalog.ConfigEntriesIndex;

        Assert.That(read.Body, Is.EqualTo(
            $$"""{"Kind":"service-defaults","Name":"web","Protocol":"http","TransparentProxy":{},"MeshGateway":{},"Expose":{},"CreateIndex":{{index}},"ModifyIndex":{{index}}}"""));
        Assert.That(read.Index, Is.EqualTo(index));
    }

    [Test]
    public async Task Resolver_and_route_timeouts_are_go_duration_strings_written_first_while_other_durations_are_nanoseconds()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");

        await agent.PutConfigAsync("""
            { "kind": "service-resolver", "Name": "web", "ConnectTimeout": 15000000000, "RequestTimeout": "1m30s",
              "LoadBalancer": { "Policy": "ring_hash", "HashPolicies": [ { "Field": "cookie", "FieldValue": "s", "CookieConfig": { "TTL": "1h" } } ] } }
            """);
        await agent.PutConfigAsync("""
            { "Kind": "service-defaults", "Name": "api", "Protocol": "http",
              "UpstreamConfig": { "Defaults": { "PassiveHealthCheck": { "Interval": "10s", "MaxFailures": 3, "BaseEjectionTime": 0 } } } }
            """);
        await agent.PutConfigAsync("""
            { "Kind": "service-router", "Name": "web",
              "Routes": [ { "Match": { "HTTP": { "PathPrefix": "/admin", "Methods": [ "get" ] } }, "Destination": { "Service": "api", "RequestTimeout": "2s" } } ] }
            """);
        var resolver = (await agent.GetAsync("/v1/config/service-resolver/web")).Body;
        var defaults = (await agent.GetAsync("/v1/config/service-defaults/api")).Json;
        var router = (await agent.GetAsync("/v1/config/service-router/web")).Json;

        Assert.That(resolver, Does.StartWith("""{"ConnectTimeout":"15s","RequestTimeout":"1m30s","Kind":"service-resolver","Name":"web","LoadBalancer":"""));
        Assert.That(resolver, Does.Contain("\"CookieConfig\":{\"TTL\":3600000000000}"));
        var check = defaults.GetProperty("UpstreamConfig").GetProperty("Defaults");
        Assert.That(check.GetProperty("PassiveHealthCheck").GetRawText(), Is.EqualTo("""{"Interval":10000000000,"MaxFailures":3,"BaseEjectionTime":0}"""));
        Assert.That(check.GetProperty("Peer").GetString(), Is.Empty, "Peer has no omitempty");
        var route = router.GetProperty("Routes")[0];
        Assert.That(route.GetProperty("Destination").GetRawText(), Is.EqualTo("""{"RequestTimeout":"2s","Service":"api"}"""));
        Assert.That(route.GetProperty("Match").GetProperty("HTTP").GetProperty("Methods")[0].GetString(), Is.EqualTo("GET"));
    }

    [Test]
    public async Task Go_int_fields_take_64_bit_values_as_consul_does()
    {
        await using var agent = await TestAgent.StartAsync();

        await agent.PutConfigAsync("""
            { "Kind": "service-defaults", "Name": "web", "LocalConnectTimeoutMs": 4294967296,
              "UpstreamConfig": { "Defaults": { "ConnectTimeoutMs": 86400000000, "Limits": { "MaxPendingRequests": 4294967295, "MaxConnections": 0 } } } }
            """);
        var read = (await agent.GetAsync("/v1/config/service-defaults/web")).Json;

        var defaults = read.GetProperty("UpstreamConfig").GetProperty("Defaults");
        Assert.Multiple(() =>
        {
            Assert.That(read.GetProperty("LocalConnectTimeoutMs").GetInt64(), Is.EqualTo(4294967296L));
            Assert.That(defaults.GetProperty("ConnectTimeoutMs").GetInt64(), Is.EqualTo(86400000000L));
            Assert.That(defaults.GetProperty("Limits").GetRawText(), Is.EqualTo("""{"MaxConnections":0,"MaxPendingRequests":4294967295}"""));
        });
    }

    [Test]
    public async Task An_absent_entry_is_consuls_404_with_the_index_headers()
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.GetAsync("/v1/config/service-resolver/Web");

        Assert.That((reply.Status, reply.Body), Is.EqualTo((HttpStatusCode.NotFound, "Config entry not found for \"service-resolver\" / \"Web\"")));
        Assert.That(reply.Index, Is.EqualTo(1UL));
        Assert.That(reply.Header("X-Consul-KnownLeader"), Is.EqualTo("true"));
    }

    [Test]
    public async Task Names_are_one_entry_whatever_their_case_and_lists_are_sorted_as_consul_indexes_them()
    {
        await using var agent = await TestAgent.StartAsync();

        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "Web", "Protocol": "grpc" }""");
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "Api" }""");
        await agent.PutConfigAsync("""{ "Kind": "service-resolver", "Name": "db" }""");
        var byOtherCase = await agent.GetAsync("/v1/config/service-defaults/WEB");
        var kind = await agent.GetAsync("/v1/config/service-defaults");
        var every = await agent.GetAsync("/v1/config/");

        Assert.That(byOtherCase.Json.GetProperty("Name").GetString(), Is.EqualTo("Web"));
        Assert.That(byOtherCase.Json.GetProperty("Protocol").GetString(), Is.EqualTo("grpc"));
        Assert.That(kind.Json.EnumerateArray().Select(e => e.GetProperty("Name").GetString()), Is.EqualTo(new[] { "Api", "Web" }));
        Assert.That(every.Json.EnumerateArray().Select(e => e.GetProperty("Kind").GetString() + "/" + e.GetProperty("Name").GetString()),
            Is.EqualTo(new[] { "service-defaults/Api", "service-defaults/Web", "service-resolver/db" }));
        Assert.That((await agent.GetAsync("/v1/config/service-router")).Body, Is.EqualTo("[]"));
    }

    [Test]
    public async Task Every_config_write_moves_one_table_index_and_none_of_the_catalogs()
    {
        await using var agent = await TestAgent.StartAsync();
        var health = await agent.GetAsync("/v1/health/service/consul");

        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");
        var afterDefaults = await agent.GetAsync("/v1/config/service-resolver");
        await agent.PutConfigAsync("""{ "Kind": "service-resolver", "Name": "web" }""");
        var afterResolver = await agent.GetAsync("/v1/config/service-defaults");
        agent.Server.Catalog.RegisterAgentService(new() { Name = "api" });
        var afterCatalogWrite = await agent.GetAsync("/v1/config/service-defaults");

        Assert.That(afterDefaults.Index, Is.GreaterThan(health.Index), "the resolver list reports the table's index, moved by a defaults write");
        Assert.That(afterResolver.Index, Is.GreaterThan(afterDefaults.Index));
        Assert.That(afterCatalogWrite.Index, Is.EqualTo(afterResolver.Index));
        Assert.That((await agent.GetAsync("/v1/health/service/consul")).Index, Is.EqualTo(health.Index));
    }

    [Test]
    public async Task Writing_an_identical_entry_succeeds_and_writes_nothing()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http", "Meta": { "a": "1", "b": "2" } }""");
        var before = await agent.GetAsync("/v1/config/service-defaults/web");

        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "HTTP", "Meta": { "b": "2", "a": "1" }, "ModifyIndex": 99 }""");
        var after = await agent.GetAsync("/v1/config/service-defaults/web");

        Assert.That(after.Index, Is.EqualTo(before.Index));
        Assert.That(after.Body, Is.EqualTo(before.Body));
    }

    [Test]
    public async Task Check_and_set_writes_and_deletes_only_against_the_index_given()
    {
        await using var agent = await TestAgent.StartAsync();
        const string V1 = """{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""";
        const string V2 = """{ "Kind": "service-defaults", "Name": "web", "Protocol": "grpc" }""";

        var create = await agent.PutAsync("/v1/config?cas=0", V1);
        var modify = agent.Server.Catalog.GetConfigEntry(ConfigEntryKinds.ServiceDefaults, "web")!.ModifyIndex;
        var createAgain = await agent.PutAsync("/v1/config?cas=0", V2);
        var stale = await agent.PutAsync($"/v1/config?cas={modify + 100}", V2);
        var sameContent = await agent.PutAsync($"/v1/config?cas={modify + 100}", V1);
        var current = await agent.PutAsync($"/v1/config?cas={modify}", V2);
        var staleDelete = await agent.DeleteAsync($"/v1/config/service-defaults/web?cas={modify}");
        var delete = await agent.DeleteAsync($"/v1/config/service-defaults/web?cas={agent.Server.Catalog.ConfigEntriesIndex}");
        var deleteAbsent = await agent.DeleteAsync("/v1/config/service-defaults/web?cas=5");
        var plainDelete = await agent.DeleteAsync("/v1/config/service-defaults/web");
        var badCas = await agent.PutAsync("/v1/config?cas=latest", V1);

        Assert.That(new[] { create.Body, createAgain.Body, stale.Body, sameContent.Body, current.Body }, Is.EqualTo(new[] { "true", "false", "false", "true", "true" }));
        Assert.That(new[] { staleDelete.Body, delete.Body, deleteAbsent.Body, plainDelete.Body }, Is.EqualTo(new[] { "false", "true", "true", "{}" }));
        Assert.That((badCas.Status, badCas.Body), Is.EqualTo((HttpStatusCode.InternalServerError, "strconv.ParseUint: parsing \"latest\": invalid syntax")));
    }

    [TestCase("", HttpStatusCode.BadRequest, "Request decoding failed: EOF")]
    [TestCase("[1]", HttpStatusCode.BadRequest, "Request decoding failed: '' expected a map, got 'slice'")]
    [TestCase("""{ "Name": "web" }""", HttpStatusCode.BadRequest, "Request decoding failed: Payload does not contain a kind/Kind key at the top level")]
    [TestCase("""{ "KIND": "service-defaults", "Name": "web" }""", HttpStatusCode.BadRequest, "Request decoding failed: Payload does not contain a kind/Kind key at the top level")]
    [TestCase("""{ "Kind": 7, "Name": "web" }""", HttpStatusCode.BadRequest, "Request decoding failed: Kind value in payload is not a string")]
    [TestCase("""{ "Kind": "service-default", "Name": "web" }""", HttpStatusCode.BadRequest, "Request decoding failed: invalid config entry kind: service-default")]
    [TestCase("""{ "Kind": "service-defaults", "Name": "web", "Protocl": "http" }""", HttpStatusCode.BadRequest, "Request decoding failed: 1 error occurred:\n\t* invalid config key \"Protocl\"\n\n")]
    [TestCase("""{ "Kind": "service-defaults", "Name": "web", "Namespace": "ns" }""", HttpStatusCode.BadRequest, "Request decoding failed: 1 error occurred:\n\t* invalid config key \"Namespace\", namespaces are a consul enterprise feature\n\n")]
    [TestCase("""{ "Kind": "service-router", "Name": "web", "Routes": [ { "Match": { "HTTP": { "Path": "/" } } } ] }""", HttpStatusCode.BadRequest, "Request decoding failed: 1 error occurred:\n\t* invalid config key \"Routes[0].Match.HTTP.Path\"\n\n")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Subsets": { "v1": { "OnlyHealthy": true } }, "Extra": 1 }""", HttpStatusCode.BadRequest, "Request decoding failed: 2 errors occurred:\n\t* invalid config key \"Extra\"\n\t* invalid config key \"Subsets[v1].OnlyHealthy\"\n\n")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "ConnectTimeout": "soon" }""", HttpStatusCode.BadRequest, "Request decoding failed: time: invalid duration \"soon\"")]
    public async Task A_body_consul_cannot_decode_is_a_400_naming_the_problem(string body, HttpStatusCode status, string error)
    {
        await using var agent = await TestAgent.StartAsync();

        var reply = await agent.PutAsync("/v1/config", body.Length == 0 ? null : body);

        Assert.That((reply.Status, reply.Body), Is.EqualTo((status, error)));
        Assert.That(agent.Server.Catalog.ListConfigEntries(), Is.Empty);
    }

    [Test]
    public async Task Kinds_consul_knows_that_the_dev_agent_does_not_store_read_as_empty_and_are_refused_clearly_on_write()
    {
        await using var agent = await TestAgent.StartAsync();

        var list = await agent.GetAsync("/v1/config/proxy-defaults");
        var get = await agent.GetAsync("/v1/config/proxy-defaults/global");
        var put = await agent.PutAsync("/v1/config", """{ "Kind": "proxy-defaults", "Name": "global" }""");
        var unknownList = await agent.GetAsync("/v1/config/proxy-default");
        var unknownGet = await agent.GetAsync("/v1/config/proxy-default/global");
        var unknownDelete = await agent.DeleteAsync("/v1/config/proxy-default/global");

        Assert.That((list.Status, list.Body), Is.EqualTo((HttpStatusCode.OK, "[]")));
        Assert.That(get.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(put.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(put.Body, Does.Contain("does not store config entries of kind \"proxy-defaults\""));
        Assert.That((unknownList.Status, unknownList.Body), Is.EqualTo((HttpStatusCode.InternalServerError, "invalid config entry kind: proxy-default")));
        Assert.That((unknownGet.Status, unknownGet.Body), Is.EqualTo((HttpStatusCode.InternalServerError, "invalid config entry kind: proxy-default")));
        Assert.That((unknownDelete.Status, unknownDelete.Body), Is.EqualTo((HttpStatusCode.BadRequest, "invalid config entry kind: proxy-default")));
    }

    [Test]
    public async Task Methods_are_consuls_per_path_and_a_list_takes_a_filter_only_on_service_defaults()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "db" }""");

        var getApply = await agent.GetAsync("/v1/config");
        var putEntry = await agent.PutAsync("/v1/config/service-defaults/web", "{}");
        var filtered = await agent.GetAsync("/v1/config/service-defaults?filter=" + Uri.EscapeDataString("Protocol == http"));
        var notFilterable = await agent.GetAsync("/v1/config/service-resolver?filter=" + Uri.EscapeDataString("Name == web"));
        var deleteKind = await agent.DeleteAsync("/v1/config/service-defaults");

        Assert.That((getApply.Status, string.Join(",", getApply.ContentHeaders.Allow)), Is.EqualTo((HttpStatusCode.MethodNotAllowed, "OPTIONS,PUT")));
        Assert.That((putEntry.Status, string.Join(",", putEntry.ContentHeaders.Allow)), Is.EqualTo((HttpStatusCode.MethodNotAllowed, "OPTIONS,GET,DELETE")));
        Assert.That(filtered.Json.EnumerateArray().Select(e => e.GetProperty("Name").GetString()), Is.EqualTo(new[] { "web" }));
        Assert.That((notFilterable.Status, notFilterable.Body), Is.EqualTo((HttpStatusCode.InternalServerError, "filtering not supported for config entry kind=service-resolver")));
        Assert.That((deleteKind.Status, deleteKind.Body), Is.EqualTo((HttpStatusCode.NotFound, "Must provide both a kind and name to delete")));
    }

    [Test]
    public async Task Entries_written_from_csharp_are_checked_as_http_ones_are()
    {
        await using var agent = await TestAgent.StartAsync();
        var catalog = agent.Server.Catalog;

        catalog.ApplyConfigEntry(ConfigEntry.FromJson("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "HTTP" }"""));
        catalog.ApplyConfigEntry(new ServiceSplitterEntry { Name = "web", Splits = [new ServiceSplit { Weight = 100 }] });
        var refused = Assert.Throws<Bridge.DevAgent.DevAgentException>(() => catalog.DeleteConfigEntry(ConfigEntryKinds.ServiceDefaults, "web"));
        var undecodable = Assert.Throws<Bridge.DevAgent.DevAgentException>(() => ConfigEntry.FromJson("""{ "Name": "web" }"""));

        Assert.That((undecodable!.StatusCode, undecodable.Message), Is.EqualTo((400, "Request decoding failed: Payload does not contain a kind/Kind key at the top level")));
        Assert.That(refused!.StatusCode, Is.EqualTo(500));
        Assert.That(refused.Message, Is.EqualTo("discovery chain \"web\" uses a protocol \"tcp\" that does not permit advanced routing or splitting behavior"));
        Assert.That(catalog.ListConfigEntries().Select(e => e.Kind), Is.EqualTo(new[] { "service-defaults", "service-splitter" }));
        Assert.That((await agent.GetAsync("/v1/config/service-splitter/web")).Json.GetProperty("Splits")[0].GetProperty("Weight").GetSingle(), Is.EqualTo(100f));
    }
}
