using Bridge.DevAgent.Faults;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class FaultKnobTests
{
    [Test]
    public async Task Latency_delays_every_consul_request()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { Latency = TimeSpan.FromMilliseconds(250) });

        var clock = Stopwatch.StartNew();
        var reply = await agent.GetAsync("/v1/catalog/services");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)));
        Assert.That(agent.Server.Faults.Counters.DelayedRequests, Is.EqualTo(1));
    }

    [TestCase(ErrorFaultKind.NoLeader, 500, "No cluster leader")]
    [TestCase(ErrorFaultKind.NoPathToDatacenter, 500, "No path to datacenter")]
    [TestCase(ErrorFaultKind.AclNotFound, 403, "ACL not found")]
    [TestCase(ErrorFaultKind.PermissionDenied, 403, "Permission denied")]
    [TestCase(ErrorFaultKind.RpcRateLimit, 429, "")]
    [TestCase(ErrorFaultKind.ServerRateLimit, 429, "rate limit exceeded, try again later or against a different server")]
    [TestCase(ErrorFaultKind.LeaderRateLimit, 503, "rate limit exceeded for operation that can only be performed by the leader, try again later")]
    public async Task Error_faults_answer_with_consuls_status_and_body(ErrorFaultKind kind, int status, string body)
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { Error = new ErrorFault { Kind = kind } });

        var reply = await agent.GetAsync("/v1/health/service/consul");

        Assert.That(((int)reply.Status, reply.Body), Is.EqualTo((status, body)));
        Assert.That(reply.Headers.Contains("Retry-After"), Is.False, "Consul sets no Retry-After");
    }

    [Test]
    public async Task An_error_fault_can_carry_a_retry_after_as_a_proxy_in_front_of_consul_would()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { Error = new ErrorFault { Kind = ErrorFaultKind.ServerRateLimit, RetryAfter = 3600, Count = 1 } });

        var limited = await agent.GetAsync("/v1/health/service/consul");
        var next = await agent.GetAsync("/v1/health/service/consul");

        Assert.That(limited.Status, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(limited.Header("Retry-After"), Is.EqualTo("3600"));
        Assert.That(next.Header("Retry-After"), Is.Null);
    }

    [Test]
    public async Task Strip_index_drops_the_index_header_under_its_prefix_and_keeps_the_rest()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { StripIndex = new StripIndexFault { PathPrefix = "/v1/health/" } });

        var stripped = await agent.GetAsync("/v1/health/service/consul");
        var blocking = await agent.GetAsync("/v1/health/service/consul?index=1&wait=1s");
        var untouched = await agent.GetAsync("/v1/catalog/services");

        Assert.That(stripped.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(stripped.Header("X-Consul-Index"), Is.Null);
        Assert.That(blocking.Header("X-Consul-Index"), Is.Null);
        Assert.That(stripped.Header("X-Consul-KnownLeader"), Is.EqualTo("true"));
        Assert.That(stripped.Json.GetArrayLength(), Is.EqualTo(1));
        Assert.That(untouched.Index, Is.GreaterThan(0UL));
        Assert.That(agent.Server.Faults.Counters.StrippedIndexes, Is.EqualTo(2));
    }

    [Test]
    public async Task An_error_fault_with_a_count_hits_only_the_next_n_requests_under_its_prefix()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { Error = new ErrorFault { Kind = ErrorFaultKind.NoLeader, Count = 2, PathPrefix = "/v1/health/" } });

        var other = await agent.GetAsync("/v1/catalog/services");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await agent.GetAsync("/v1/health/service/consul")).Status);
        }

        Assert.That(other.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError, HttpStatusCode.OK }));
        Assert.That(agent.Server.Faults.Current.Error, Is.Null, "a spent fault is gone");
        Assert.That(agent.Server.Faults.Counters.ErrorResponses, Is.EqualTo(2));
    }

    [Test]
    public async Task The_too_many_connections_fault_sends_the_limiters_429_and_closes()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { Error = new ErrorFault { Kind = ErrorFaultKind.TooManyConnections, Count = 1 } });

        var reply = await agent.GetAsync("/v1/catalog/services");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(reply.Body, Is.EqualTo("Your IP is issuing too many concurrent connections, please rate limit your calls\n"));
        Assert.That(reply.Headers.ConnectionClose, Is.True);
        Assert.That(agent.Server.GetStatistics().TooManyRequestsResponses, Is.EqualTo(1));
    }

    [Test]
    public async Task Drop_mid_body_sends_headers_and_part_of_the_json_then_aborts()
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { Body = new BodyFault { Kind = BodyFaultKind.DropMidBody, Count = 1 } });

        using var response = await agent.Http.GetAsync("/v1/health/service/consul", HttpCompletionOption.ResponseHeadersRead);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(async () => await response.Content.ReadAsStringAsync(), Throws.InstanceOf<HttpRequestException>().Or.InstanceOf<IOException>());
        Assert.That((await agent.GetAsync("/v1/health/service/consul")).Status, Is.EqualTo(HttpStatusCode.OK), "the next request is fine");
        Assert.That(agent.Server.Faults.Counters.DroppedMidBody, Is.EqualTo(1));
    }

    [TestCase(BodyFaultKind.Truncated)]
    [TestCase(BodyFaultKind.Garbage)]
    public async Task Malformed_json_comes_with_a_200(BodyFaultKind kind)
    {
        await using var agent = await TestAgent.StartAsync();
        agent.Server.Faults.Apply(new FaultSettings { Body = new BodyFault { Kind = kind } });

        var reply = await agent.GetAsync("/v1/health/service/consul");

        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(reply.Index, Is.GreaterThan(0UL));
        Assert.That(() => JsonDocument.Parse(reply.Body), Throws.InstanceOf<JsonException>());
    }

    [Test]
    public async Task Wrong_types_keep_the_json_valid_but_send_ports_and_tags_as_strings()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web", "Port": 8080, "Tags": ["a", "b"] }""");
        agent.Server.Faults.Apply(new FaultSettings { Body = new BodyFault { Kind = BodyFaultKind.WrongTypes } });

        var service = (await agent.GetAsync("/v1/health/service/web")).Json[0].GetProperty("Service");
        var catalog = (await agent.GetAsync("/v1/catalog/services")).Json;

        Assert.That(service.GetProperty("Port").GetString(), Is.EqualTo("8080"));
        Assert.That(service.GetProperty("Tags").GetString(), Is.EqualTo("a,b"));
        Assert.That(catalog.GetProperty("consul").ValueKind, Is.EqualTo(JsonValueKind.String));
    }

    [Test]
    public async Task Oversized_bodies_keep_their_meaning_at_the_requested_size()
    {
        await using var agent = await TestAgent.StartAsync();
        var normal = await agent.GetAsync("/v1/health/service/consul");
        agent.Server.Faults.Apply(new FaultSettings { Body = new BodyFault { Kind = BodyFaultKind.Oversized, SizeBytes = 3_000_000 } });

        var huge = await agent.GetAsync("/v1/health/service/consul");

        Assert.That(huge.ContentHeaders.ContentLength, Is.EqualTo(3_000_000));
        Assert.That(huge.Body, Has.Length.EqualTo(3_000_000));
        Assert.That(JsonElement.DeepEquals(huge.Json, normal.Json), Is.True);
    }

    [Test]
    public async Task Down_drops_every_connection_until_it_ends_but_keeps_the_control_api()
    {
        await using var agent = await TestAgent.StartAsync();
        var first = await agent.GetAsync("/v1/health/service/consul");
        var parked = agent.GetAsync($"/v1/health/service/consul?index={first.Index}&wait=5m");
        await agent.BlockingQueriesParkedAsync();

        using var control = new HttpClient { BaseAddress = agent.Server.Address };
        using var down = await control.PutAsync("/_dev/faults", new StringContent("""{ "Down": {} }"""));
        var refused = Assert.ThrowsAsync<HttpRequestException>(async () => await agent.GetAsync("/v1/catalog/services"));
        using var stillDown = await control.GetAsync("/_dev/faults");
        using var up = await control.DeleteAsync("/_dev/faults");
        var back = await agent.GetAsync("/v1/catalog/services");

        Assert.That(down.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the control request that set it is answered");
        Assert.That(async () => await parked, Throws.InstanceOf<HttpRequestException>(), "the parked blocking query was cut");
        Assert.That(refused, Is.Not.Null);
        Assert.That(await stillDown.Content.ReadAsStringAsync(), Does.Contain("\"Down\":{"));
        Assert.That(up.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(back.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(agent.Server.Faults.Counters.DownAborts, Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public async Task Down_for_a_duration_ends_by_itself()
    {
        await using var agent = await TestAgent.StartAsync();
        var clock = Stopwatch.StartNew();
        agent.Server.Faults.Apply(new FaultSettings { Down = new DownFault { For = TimeSpan.FromMilliseconds(300) } });

        Assert.That(agent.Server.Faults.Current.Down, Is.Not.Null);
        await TestAgent.Until(() => agent.Server.Faults.Current.Down is null, "down to end");
        var back = await agent.GetAsync("/v1/catalog/services");

        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300)));
        Assert.That(back.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Late_answer_returns_just_before_the_deadline_even_when_data_changed()
    {
        await using var agent = await TestAgent.StartAsync();
        var first = await agent.GetAsync("/v1/health/service/web");
        agent.Server.Faults.Apply(new FaultSettings { LateAnswer = new LateAnswerFault { Epsilon = TimeSpan.FromMilliseconds(50) } });

        var clock = Stopwatch.StartNew();
        var watch = agent.GetAsync($"/v1/health/service/web?index={first.Index}&wait=600ms");
        await agent.BlockingQueriesParkedAsync();
        await agent.RegisterAsync("""{ "ID": "web-1", "Name": "web" }""");
        var result = await watch;

        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(550)));
        Assert.That(result.Json.GetArrayLength(), Is.EqualTo(1), "answers with the data current at the deadline");
        Assert.That(agent.Server.Faults.Counters.LateAnswers, Is.EqualTo(1));
    }

    [Test]
    public async Task Faults_can_be_driven_over_http_with_json()
    {
        await using var agent = await TestAgent.StartAsync();

        var set = await agent.PutAsync("/_dev/faults", """
            { "Latency": "10ms", "Error": { "Kind": "NoLeader", "Count": 3, "PathPrefix": "/v1/health/", "RetryAfter": 7 },
              "Body": { "Kind": "Truncated", "Count": 1 }, "StripIndex": { "PathPrefix": "/v1/catalog/" } }
            """);
        var failed = await agent.GetAsync("/v1/health/service/consul");
        var status = await agent.GetAsync("/_dev/faults");
        var bad = await agent.PutAsync("/_dev/faults", """{ "Error": { "Kind": "Nope" } }""");
        var cleared = await agent.Http.DeleteAsync("/_dev/faults");
        var ok = await agent.GetAsync("/v1/health/service/consul");

        Assert.That(set.Status, Is.EqualTo(HttpStatusCode.OK), set.Body);
        Assert.That(failed.Body, Is.EqualTo("No cluster leader"));
        Assert.That(failed.Header("Retry-After"), Is.EqualTo("7"));
        var settings = status.Json.GetProperty("Settings");
        Assert.That(settings.GetProperty("Latency").GetString(), Is.EqualTo("10ms"));
        Assert.That(settings.GetProperty("Error").GetProperty("Count").GetInt32(), Is.EqualTo(2), "shows what is left");
        Assert.That(settings.GetProperty("StripIndex").GetProperty("PathPrefix").GetString(), Is.EqualTo("/v1/catalog/"));
        Assert.That(status.Json.GetProperty("Counters").GetProperty("ErrorResponses").GetInt64(), Is.EqualTo(1));
        Assert.That(bad.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(cleared.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ok.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(() => JsonDocument.Parse(ok.Body), Throws.Nothing);
    }

    [Test]
    public async Task Statistics_count_requests_by_kind_over_http()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.GetAsync("/v1/health/service/consul");
        await agent.GetAsync("/v1/health/service/consul");
        await agent.GetAsync("/v1/catalog/services");

        var stats = (await agent.GetAsync("/_dev/stats")).Json;

        Assert.That(stats.GetProperty("RequestsByKind").GetProperty("HealthService").GetInt64(), Is.EqualTo(2));
        Assert.That(stats.GetProperty("RequestsByKind").GetProperty("CatalogServices").GetInt64(), Is.EqualTo(1));
        Assert.That(stats.GetProperty("ConnectionsPerIp").GetProperty("127.0.0.1").GetInt32(), Is.GreaterThanOrEqualTo(1));
    }
}
