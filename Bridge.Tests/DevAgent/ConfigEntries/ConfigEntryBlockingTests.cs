using Bridge.DevAgent.Acl;

namespace Bridge.Tests.DevAgent.ConfigEntries;

/// <summary>
/// Blocking reads of config entries as Consul runs them: lists wake only when what they return changes (ErrNotChanged),
/// a single entry only when it changes, an absent one only when it appears (ErrNotFound); and the ACL rules on them.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class ConfigEntryBlockingTests
{
    private static readonly Dictionary<string, AclRule> AllServicesReadable = new() { [string.Empty] = AclRule.Read };

    [Test]
    public async Task A_list_wakes_on_a_write_of_its_kind()
    {
        await using var agent = await TestAgent.StartAsync();
        var first = await agent.GetAsync("/v1/config/service-resolver");

        var watch = agent.GetAsync($"/v1/config/service-resolver?index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        Assert.That(watch.IsCompleted, Is.False);
        await agent.PutConfigAsync("""{ "Kind": "service-resolver", "Name": "web", "ConnectTimeout": "2s" }""");
        var woken = await watch;

        Assert.That(woken.Index, Is.GreaterThan(first.Index));
        Assert.That(woken.Json[0].GetProperty("Name").GetString(), Is.EqualTo("web"));
    }

    [Test]
    public async Task A_list_sleeps_through_writes_of_other_kinds_and_answers_its_deadline_with_the_tables_new_index()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-resolver", "Name": "web" }""");
        var first = await agent.GetAsync("/v1/config/service-resolver");

        var clock = Stopwatch.StartNew();
        var watch = agent.GetAsync($"/v1/config/service-resolver?index={first.Index}&wait=500ms");
        await agent.BlockingQueriesParkedAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");
        var answer = await watch;

        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(500)), "the defaults write did not wake it");
        Assert.That(answer.Body, Is.EqualTo(first.Body));
        Assert.That(answer.Index, Is.GreaterThan(first.Index), "its last run saw the table's new index");
    }

    [Test]
    public async Task An_empty_list_sleeps_through_writes_that_leave_it_empty()
    {
        await using var agent = await TestAgent.StartAsync();
        var first = await agent.GetAsync("/v1/config/service-router");

        var clock = Stopwatch.StartNew();
        var watch = agent.GetAsync($"/v1/config/service-router?index={first.Index}&wait=500ms");
        await agent.BlockingQueriesParkedAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "api", "Protocol": "http" }""");
        var answer = await watch;

        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(500)));
        Assert.That(answer.Body, Is.EqualTo("[]"));
    }

    [Test]
    public async Task A_read_of_one_entry_wakes_only_when_that_entry_changes()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");
        var first = await agent.GetAsync("/v1/config/service-defaults/web");

        var clock = Stopwatch.StartNew();
        var sleeper = agent.GetAsync($"/v1/config/service-defaults/web?index={first.Index}&wait=500ms");
        await agent.BlockingQueriesParkedAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "api", "Protocol": "http" }""");
        var atDeadline = await sleeper;
        var elapsed = clock.Elapsed;

        // The table's index moved past the client's: a new query answers at once, unchanged.
        var moved = await agent.GetAsync($"/v1/config/service-defaults/web?index={first.Index}&wait=30s");
        var watch = agent.GetAsync($"/v1/config/service-defaults/web?index={moved.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "grpc" }""");
        var woken = await watch;

        Assert.That(elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(500)), "another entry of the same kind does not wake it");
        Assert.That((atDeadline.Index, atDeadline.Body), Is.EqualTo((first.Index, first.Body)));
        Assert.That(moved.Index, Is.GreaterThan(first.Index));
        Assert.That(moved.Body, Is.EqualTo(first.Body));
        Assert.That(woken.Json.GetProperty("Protocol").GetString(), Is.EqualTo("grpc"));
        Assert.That(woken.Index, Is.EqualTo(agent.Server.Catalog.ConfigEntriesIndex));
    }

    [Test]
    public async Task A_read_of_an_absent_entry_waits_for_it_to_appear()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "api" }""");
        var missing = await agent.GetAsync("/v1/config/service-defaults/web");

        var clock = Stopwatch.StartNew();
        var sleeper = agent.GetAsync($"/v1/config/service-defaults/web?index={missing.Index}&wait=500ms");
        await agent.BlockingQueriesParkedAsync();
        await agent.DeleteAsync("/v1/config/service-defaults/api");
        var stillMissing = await sleeper;
        var elapsed = clock.Elapsed;
        var index = agent.Server.Catalog.ConfigEntriesIndex;
        var watch = agent.GetAsync($"/v1/config/service-defaults/web?index={index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web" }""");
        var found = await watch;

        Assert.That(missing.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(500)), "a write that leaves it absent does not end the wait");
        Assert.That(stillMissing.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((found.Status, found.Json.GetProperty("Name").GetString()), Is.EqualTo((HttpStatusCode.OK, "web")));
    }

    [Test]
    public async Task A_snapshot_restore_releases_config_queries_with_the_restored_index()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web" }""");
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "api" }""");
        var first = await agent.GetAsync("/v1/config/service-defaults");

        var watch = agent.GetAsync($"/v1/config/service-defaults?index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        agent.Server.Catalog.ResetIndex(2);
        var released = await watch;

        Assert.That(released.Index, Is.EqualTo(2UL));
        Assert.That(released.Json.EnumerateArray().Select(e => e.GetProperty("ModifyIndex").GetUInt64()), Has.All.LessThanOrEqualTo(2UL));
    }

    [Test]
    public async Task Lists_hold_what_the_token_may_read_and_do_not_wake_for_what_it_may_not()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web" }""");
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "secret" }""");
        agent.Server.Acl.Set("t", new AclRules { ServicePrefix = AllServicesReadable, Service = new Dictionary<string, AclRule> { ["secret"] = AclRule.Deny } });

        var withToken = await agent.GetAsync("/v1/config/service-defaults?token=t");
        var anonymous = await agent.GetAsync("/v1/config/service-defaults");
        var clock = Stopwatch.StartNew();
        var watch = agent.GetAsync($"/v1/config/service-defaults?token=t&index={withToken.Index}&wait=500ms");
        await agent.BlockingQueriesParkedAsync();
        agent.Server.Catalog.ApplyConfigEntry(new Bridge.DevAgent.ConfigEntries.ServiceDefaultsEntry { Name = "secret", Protocol = "http" });
        var answer = await watch;

        Assert.That(withToken.Json.EnumerateArray().Select(e => e.GetProperty("Name").GetString()), Is.EqualTo(new[] { "web" }));
        Assert.That(withToken.Header("X-Consul-Results-Filtered-By-ACLs"), Is.EqualTo("true"));
        Assert.That(anonymous.Body, Is.EqualTo("[]"));
        Assert.That(anonymous.Header("X-Consul-Results-Filtered-By-ACLs"), Is.Null, "a request without a token is never told");
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(500)));
        Assert.That(answer.Body, Is.EqualTo(withToken.Body));
    }

    [Test]
    public async Task Reads_need_service_read_and_writes_service_write_plus_read_on_every_service_traffic_goes_to()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""");
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "api", "Protocol": "http" }""");
        var accessor = agent.Server.Acl.Set("w", new AclRules { Service = new Dictionary<string, AclRule> { ["web"] = AclRule.Write } }).AccessorId;
        const string Splitter = """{ "Kind": "service-splitter", "Name": "web", "Splits": [ { "Weight": 50 }, { "Weight": 50, "Service": "api" } ] }""";

        var readOther = await agent.GetAsync("/v1/config/service-defaults/api?token=w");
        var writeOther = await agent.PutAsync("/v1/config?token=w", """{ "Kind": "service-defaults", "Name": "api" }""");
        var splitToUnreadable = await agent.PutAsync("/v1/config?token=w", Splitter);
        agent.Server.Acl.Set("w", new AclRules { Service = new Dictionary<string, AclRule> { ["web"] = AclRule.Write, ["api"] = AclRule.Read } });
        var splitToReadable = await agent.PutAsync("/v1/config?token=w", Splitter);
        var deleteOther = await agent.DeleteAsync("/v1/config/service-defaults/api?token=w");
        var unknownToken = await agent.PutAsync("/v1/config?token=nobody", Splitter);

        var denied = $"Permission denied: token with AccessorID '{accessor}' lacks permission";
        Assert.That((readOther.Status, readOther.Body), Is.EqualTo((HttpStatusCode.Forbidden, $"{denied} 'service:read' on \"api\"")));
        Assert.That(readOther.Header("X-Consul-Index"), Is.Null);
        Assert.That((writeOther.Status, writeOther.Body), Is.EqualTo((HttpStatusCode.Forbidden, $"{denied} 'service:write' on \"api\"")));
        Assert.That((splitToUnreadable.Status, splitToUnreadable.Body), Is.EqualTo((HttpStatusCode.Forbidden, $"{denied} 'service:read' on \"api\"")));
        Assert.That(splitToReadable.Body, Is.EqualTo("true"));
        Assert.That((deleteOther.Status, deleteOther.Body), Is.EqualTo((HttpStatusCode.Forbidden, $"{denied} 'service:write' on \"api\"")));
        Assert.That((unknownToken.Status, unknownToken.Body), Is.EqualTo((HttpStatusCode.Forbidden, "ACL not found")));
    }
}
