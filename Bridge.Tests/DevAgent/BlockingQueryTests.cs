using Bridge.DevAgent.Catalog;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class BlockingQueryTests
{
    private const string WebOne = """{ "ID": "web-1", "Name": "web", "Port": 8080, "Check": { "TTL": "10m", "Status": "passing" } }""";
    private const string ApiOne = """{ "ID": "api-1", "Name": "api", "Port": 9090 }""";

    [Test]
    public async Task Blocking_query_returns_when_service_changes()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(WebOne);
        var first = await agent.GetAsync("/v1/health/service/web");

        var watch = agent.GetAsync($"/v1/health/service/web?index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        Assert.That(watch.IsCompleted, Is.False);
        await agent.PutAsync("/v1/agent/check/warn/service:web-1?note=slow");
        var changed = await watch;

        Assert.That(changed.Index, Is.GreaterThan(first.Index));
        Assert.That(changed.Json[0].GetProperty("Checks")[1].GetProperty("Status").GetString(), Is.EqualTo("warning"));
        Assert.That(changed.Json[0].GetProperty("Checks")[1].GetProperty("Output").GetString(), Is.EqualTo("slow"));
    }

    [Test]
    public async Task Blocking_query_times_out_with_the_same_index_and_body_after_wait()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(WebOne);
        var first = await agent.GetAsync("/v1/health/service/web");

        var clock = Stopwatch.StartNew();
        var again = await agent.GetAsync($"/v1/health/service/web?index={first.Index}&wait=200ms");

        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(200)));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(again.Index, Is.EqualTo(first.Index));
        Assert.That(again.Body, Is.EqualTo(first.Body));
    }

    [Test]
    public async Task A_change_to_another_service_does_not_wake_a_watch()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(WebOne);
        await agent.RegisterAsync(ApiOne);
        var first = await agent.GetAsync("/v1/health/service/web");

        var clock = Stopwatch.StartNew();
        var watch = agent.GetAsync($"/v1/health/service/web?index={first.Index}&wait=600ms");
        await agent.BlockingQueriesParkedAsync();
        await agent.RegisterAsync("""{ "ID": "api-2", "Name": "api", "Port": 9091 }""");
        await agent.PutAsync("/v1/agent/service/deregister/api-1");
        var result = await watch;

        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(600)), "woke before its wait ran out");
        Assert.That(result.Index, Is.EqualTo(first.Index));
        Assert.That(agent.Server.Catalog.Index, Is.GreaterThan(first.Index), "the global index did move");
    }

    [Test]
    public async Task A_node_check_change_wakes_watches_of_every_service_on_that_node()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(WebOne);
        await agent.RegisterAsync(ApiOne);
        var web = await agent.GetAsync("/v1/health/service/web");
        var api = await agent.GetAsync("/v1/health/service/api");

        var webWatch = agent.GetAsync($"/v1/health/service/web?index={web.Index}&wait=30s");
        var apiWatch = agent.GetAsync($"/v1/health/service/api?index={api.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync(2);
        await agent.PutAsync("/v1/agent/maintenance?enable=true&reason=patching");

        foreach (var result in await Task.WhenAll(webWatch, apiWatch))
        {
            Assert.That(result.Json[0].GetProperty("Checks").EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()), Does.Contain("_node_maintenance"));
        }
    }

    [Test]
    public async Task Registering_an_identical_instance_moves_no_index()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(WebOne);
        var before = agent.Server.Catalog.Index;
        var first = await agent.GetAsync("/v1/health/service/web");

        await agent.RegisterAsync(WebOne);
        var again = await agent.GetAsync($"/v1/health/service/web?index={first.Index}&wait=100ms");

        Assert.That(agent.Server.Catalog.Index, Is.EqualTo(before));
        Assert.That(again.Index, Is.EqualTo(first.Index));
    }

    [Test]
    public async Task Touching_a_service_returns_a_new_index_with_an_identical_body()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(WebOne);
        var first = await agent.GetAsync("/v1/health/service/web");

        var watch = agent.GetAsync($"/v1/health/service/web?index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        var touched = await agent.PutAsync("/_dev/catalog/touch/web");
        var result = await watch;

        Assert.That(touched.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(result.Index, Is.GreaterThan(first.Index));
        Assert.That(result.Body, Is.EqualTo(first.Body));
    }

    [Test]
    public async Task Index_reset_releases_blocking_queries_with_the_lower_index()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(WebOne);
        for (var i = 0; i < 5; i++)
        {
            await agent.PutAsync($"/v1/agent/check/{(i % 2 == 0 ? "warn" : "pass")}/service:web-1");
        }

        var first = await agent.GetAsync("/v1/health/service/web");
        var watch = agent.GetAsync($"/v1/health/service/web?index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        var reset = await agent.PutAsync("/_dev/catalog/reset-index", """{ "Index": 2 }""");
        var result = await watch;

        Assert.That(reset.Status, Is.EqualTo(HttpStatusCode.OK), reset.Body);
        Assert.That(result.Index, Is.EqualTo(2UL));
        Assert.That(result.Json[0].GetProperty("Service").GetProperty("ID").GetString(), Is.EqualTo("web-1"), "data stays");
        Assert.That(agent.Server.Catalog.Index, Is.EqualTo(2UL));
    }

    [Test]
    public async Task Losing_the_last_instance_answers_an_empty_list_with_a_new_index()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(WebOne);
        var first = await agent.GetAsync("/v1/health/service/web");

        var watch = agent.GetAsync($"/v1/health/service/web?index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        await agent.PutAsync("/v1/agent/service/deregister/web-1");
        var gone = await watch;
        var services = await agent.GetAsync("/v1/catalog/services");

        Assert.That(gone.Body, Is.EqualTo("[]"));
        Assert.That(gone.Index, Is.GreaterThan(first.Index));
        Assert.That(services.Json.TryGetProperty("web", out _), Is.False);
    }

    [Test]
    public async Task A_watch_on_a_missing_service_returns_when_it_is_registered()
    {
        await using var agent = await TestAgent.StartAsync();
        var missing = await agent.GetAsync("/v1/health/service/web");

        var watch = agent.GetAsync($"/v1/health/service/web?index={missing.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        await agent.RegisterAsync(WebOne);
        var found = await watch;

        Assert.That(found.Json.GetArrayLength(), Is.EqualTo(1));
        Assert.That(found.Index, Is.GreaterThan(missing.Index));
    }

    [Test]
    public async Task Catalog_services_wakes_on_registrations_but_not_on_check_updates()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(WebOne);
        var first = await agent.GetAsync("/v1/catalog/services");

        await agent.PutAsync("/v1/agent/check/fail/service:web-1");
        var unchanged = await agent.GetAsync($"/v1/catalog/services?index={first.Index}&wait=100ms");
        var watch = agent.GetAsync($"/v1/catalog/services?index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        await agent.RegisterAsync(ApiOne);
        var changed = await watch;

        Assert.That(unchanged.Index, Is.EqualTo(first.Index));
        Assert.That(changed.Index, Is.GreaterThan(first.Index));
        Assert.That(changed.Json.TryGetProperty("api", out _), Is.True);
    }

    [Test]
    public async Task Health_state_blocks_on_the_checks_index()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync(WebOne);
        var first = await agent.GetAsync("/v1/health/state/any");

        var watch = agent.GetAsync($"/v1/health/state/critical?index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        await agent.PutAsync("/v1/agent/check/fail/service:web-1");
        var result = await watch;

        Assert.That(result.Index, Is.GreaterThan(first.Index));
        Assert.That(result.Json.EnumerateArray().Select(c => c.GetProperty("CheckID").GetString()), Is.EqualTo(new[] { "service:web-1" }));
    }

    [TestCase("")]
    [TestCase("?index=0&wait=30s")]
    public async Task No_index_or_index_zero_answers_at_once(string query)
    {
        await using var agent = await TestAgent.StartAsync();

        var clock = Stopwatch.StartNew();
        var reply = await agent.GetAsync("/v1/health/service/consul" + query);

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(agent.Server.GetStatistics().BlockingQueriesInFlight, Is.Zero);
    }

    [Test]
    public async Task Wait_is_capped_at_the_maximum_plus_jitter()
    {
        var clock = new TimerWatchingClock();
        await using var agent = await TestAgent.StartAsync(o => o with { DefaultWait = TimeSpan.FromMilliseconds(100), MaxWait = TimeSpan.FromMilliseconds(300), Time = clock });
        var first = await agent.GetAsync("/v1/health/service/consul");

        // Each query runs, then waits on the clock for its wait plus jitter: the timer it arms says how long.
        var capping = agent.GetAsync($"/v1/health/service/consul?index={first.Index}&wait=10m");
        var cappedWait = await clock.WaitForTimerAsync(due => due >= TimeSpan.FromMilliseconds(100) && due <= TimeSpan.FromMinutes(11));
        clock.Advance(cappedWait);
        var capped = await capping;
        var defaulting = agent.GetAsync($"/v1/health/service/consul?index={first.Index}");
        var defaultWait = await clock.WaitForTimerAsync(due => due >= TimeSpan.FromMilliseconds(50) && due <= TimeSpan.FromMinutes(11));
        clock.Advance(defaultWait);
        var defaulted = await defaulting;

        Assert.That(capped.Index, Is.EqualTo(first.Index));
        Assert.That(cappedWait, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300)).And.LessThan(TimeSpan.FromMilliseconds(300 + (300 / 16.0))), "the maximum plus up to a sixteenth");
        Assert.That(defaulted.Index, Is.EqualTo(first.Index));
        Assert.That(defaultWait, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(100)).And.LessThan(TimeSpan.FromMilliseconds(100 + (100 / 16.0))), "the default plus up to a sixteenth");
    }

    [Test]
    public async Task A_disconnecting_client_ends_its_blocking_query()
    {
        await using var agent = await TestAgent.StartAsync();
        var first = await agent.GetAsync("/v1/health/service/consul");
        using var cancel = new CancellationTokenSource();

        var watch = agent.GetAsync($"/v1/health/service/consul?index={first.Index}&wait=5m", cancel.Token);
        await agent.BlockingQueriesParkedAsync();
        await cancel.CancelAsync();

        Assert.That(async () => await watch, Throws.InstanceOf<OperationCanceledException>());
        await agent.BlockingQueriesParkedAsync(0);
    }

    [Test]
    public async Task Stopping_the_agent_answers_parked_queries_with_the_current_data()
    {
        var agent = await TestAgent.StartAsync();
        var first = await agent.GetAsync("/v1/health/service/consul");

        var watch = agent.GetAsync($"/v1/health/service/consul?index={first.Index}&wait=5m");
        await agent.BlockingQueriesParkedAsync();
        var clock = Stopwatch.StartNew();
        await agent.Server.StopAsync();
        var result = await watch;
        await agent.DisposeAsync();

        Assert.That(result.Index, Is.EqualTo(first.Index));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "not the 5 minute wait");
    }

    [Test]
    public async Task Writes_through_the_csharp_catalog_wake_http_watchers()
    {
        await using var agent = await TestAgent.StartAsync();
        var first = await agent.GetAsync("/v1/health/service/web");

        var watch = agent.GetAsync($"/v1/health/service/web?index={first.Index}&wait=30s");
        await agent.BlockingQueriesParkedAsync();
        agent.Server.Catalog.RegisterCatalogEntry(new CatalogRegistration
        {
            Node = "n9",
            Address = "10.0.0.9",
            Service = new CatalogServiceRegistration { Id = "web-9", Service = "web", Port = 80 },
        });
        var result = await watch;

        Assert.That(result.Json[0].GetProperty("Node").GetProperty("Node").GetString(), Is.EqualTo("n9"));
    }

    [Test]
    public async Task Hundreds_of_parked_watchers_all_wake_on_one_change_and_others_stay_parked()
    {
        await using var agent = await TestAgent.StartAsync(o => o with { MaxConnsPerClient = 0 });
        await agent.RegisterAsync(WebOne);
        await agent.RegisterAsync(ApiOne);
        var web = await agent.GetAsync("/v1/health/service/web");
        var api = await agent.GetAsync("/v1/health/service/api");

        var webWatches = Enumerable.Range(0, 300).Select(_ => agent.GetAsync($"/v1/health/service/web?index={web.Index}&wait=30s")).ToList();
        var apiWatches = Enumerable.Range(0, 100).Select(_ => agent.GetAsync($"/v1/health/service/api?index={api.Index}&wait=30s")).ToList();
        await agent.BlockingQueriesParkedAsync(400);
        await agent.PutAsync("/v1/agent/check/fail/service:web-1");
        var woken = await Task.WhenAll(webWatches);
        var stats = agent.Server.GetStatistics();

        Assert.That(woken.Select(r => r.Index), Has.All.GreaterThan(web.Index));
        Assert.That(stats.BlockingQueriesInFlight, Is.EqualTo(100), "the api watchers are still parked");
        Assert.That(stats.PeakConnections, Is.GreaterThanOrEqualTo(400));
        Assert.That(apiWatches.Any(t => t.IsCompleted), Is.False);
    }
}
