using Bridge.Core.Consul;

namespace Bridge.Tests.Consul;

public sealed class ConnectionBudgetTests
{
    private static readonly ConsulOptions Remote = new() { Address = "http://10.1.2.3:8500" };

    [TestCase(200, 0, true, 180)]
    [TestCase(200, 0, false, 180)]
    [TestCase(10, 0, true, 9)]
    [TestCase(1, 0, true, 1)]
    [TestCase(0, 0, true, ConnectionBudget.UnlimitedAgentQueries)]
    [TestCase(200, 128, true, 128)]
    [TestCase(200, 190, true, 180)]
    [TestCase(200, 190, false, 190)]
    [TestCase(0, 8000, true, 8000)]
    public void Each_source_address_takes_nine_tenths_of_the_agent_limit_or_the_setting_within_a_limit_read(int limit, int configured, bool known, int expected)
    {
        Assert.That(ConnectionBudget.PerSource(limit, configured, known), Is.EqualTo(expected));
    }

    [TestCase(180, 200)]
    [TestCase(181, 202)]
    [TestCase(1001, 1113)]
    [TestCase(5001, 5557)]
    public void The_limit_to_recommend_is_the_smallest_that_leaves_room_for_the_queries(int queries, int limit)
    {
        Assert.That(ConnectionBudget.LimitFor(queries), Is.EqualTo(limit));
        Assert.That(ConnectionBudget.PerSource(limit - 1, 0, true), Is.LessThan(queries));
    }

    [Test]
    public async Task A_limit_read_from_the_agent_sizes_the_slots_and_every_source_address()
    {
        var log = new FakeLogger<ConnectionBudget>();
        var pool = new SourceAddressPool([IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")], 1);
        var budget = new ConnectionBudget(new ConsulOptions(), log, sources: pool, sourceReason: "test");
        Assert.That(budget.Slots.Capacity, Is.EqualTo(360), "Consul's default assumed until the agent says");

        await budget.StartAsync(_ => Task.FromResult<int?>(50), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(budget.AgentLimit, Is.EqualTo(50));
            Assert.That(budget.AgentLimitKnown, Is.True);
            Assert.That(pool.PerAddress, Is.EqualTo(45));
            Assert.That(budget.Slots.Capacity, Is.EqualTo(90));
            Assert.That(log.WithEvent("ConsulAgentLimitRead").Single().Fields()["PerSource"], Is.EqualTo("45"));
        });
    }

    [Test]
    public async Task A_token_without_agent_read_leaves_consul_s_default_assumed_and_says_so()
    {
        var log = new FakeLogger<ConnectionBudget>();
        var budget = new ConnectionBudget(Remote, log);
        var reads = 0;

        await budget.StartAsync(_ =>
        {
            reads++;
            throw new ConsulException(ConsulClient.AgentSelfEndpoint, ConsulErrorKind.Forbidden, "HTTP 403: Permission denied", HttpStatusCode.Forbidden);
        }, CancellationToken.None);

        var warning = log.WithEvent("ConsulAgentLimitUnknown").Single().Fields();
        Assert.Multiple(() =>
        {
            Assert.That(reads, Is.EqualTo(1), "a refusal is final");
            Assert.That(budget.AgentLimitKnown, Is.False);
            Assert.That(budget.Slots.Capacity, Is.EqualTo(180));
            Assert.That(warning["Reason"], Does.Contain("agent:read"));
            Assert.That(warning["AssumedLimit"], Is.EqualTo("200"));
        });
    }

    [Test]
    public async Task While_consul_is_unreachable_the_limit_is_read_again_later()
    {
        var time = new FakeTimeProvider();
        var budget = new ConnectionBudget(Remote with { RetryBaseDelay = TimeSpan.FromSeconds(1) }, new FakeLogger<ConnectionBudget>(), time);
        var reads = 0;
        var read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();

        await budget.StartAsync(_ =>
        {
            if (++reads == 1)
            {
                throw new ConsulException(ConsulClient.AgentSelfEndpoint, ConsulErrorKind.Unreachable, "Connection refused");
            }

            read.TrySetResult();
            return Task.FromResult<int?>(20);
        }, cts.Token);
        Assert.That(budget.AgentLimitKnown, Is.False);

        time.Advance(TimeSpan.FromSeconds(1));
        await read.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await Bridge.Tests.DevAgent.TestAgent.Until(() => budget.AgentLimitKnown, "the limit applied");

        Assert.That(budget.Slots.Capacity, Is.EqualTo(18));
        await cts.CancelAsync();
    }

    [Test]
    public async Task While_queries_take_turns_a_limit_raised_on_the_agent_is_picked_up_without_a_restart()
    {
        var time = new FakeTimeProvider();
        var log = new FakeLogger<ConnectionBudget>();
        var budget = new ConnectionBudget(Remote, log, time);
        var limit = 20;
        var reads = 0;
        using var cts = new CancellationTokenSource();
        await budget.StartAsync(_ =>
        {
            reads++;
            return Task.FromResult<int?>(limit);
        }, cts.Token);
        budget.Slots.ReportDemand(41);
        Assert.That(budget.Slots.Capacity, Is.EqualTo(18));

        limit = 50;
        time.Advance(ConnectionBudget.RecheckInterval);
        await Bridge.Tests.DevAgent.TestAgent.Until(() => budget.AgentLimit == 50, "the raised limit read");

        Assert.Multiple(() =>
        {
            Assert.That(reads, Is.EqualTo(2));
            Assert.That(budget.Slots.Capacity, Is.EqualTo(45));
            Assert.That(log.WithEvent("ConsulQueriesInFlight").Last().Fields()["Slots"], Is.EqualTo("45"), "the queries fit again");
        });
        await cts.CancelAsync();
    }

    [Test]
    public void The_freshness_promise_is_logged_with_its_numbers_when_the_demand_first_arrives_and_when_the_answer_changes()
    {
        var log = new FakeLogger<ConnectionBudget>();
        var budget = new ConnectionBudget(Remote with { Wait = TimeSpan.FromMinutes(5) }, log);

        budget.Slots.ReportDemand(101);
        budget.Slots.ReportDemand(150);
        budget.Slots.ReportDemand(301);
        budget.Slots.ReportDemand(305);
        budget.Slots.ReportDemand(400);

        var fits = log.WithEvent("ConsulQueriesInFlight").Single();
        var shares = log.WithEvent("ConsulQueriesShareSlots").Select(e => e.Fields()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(fits.Fields()["Queries"], Is.EqualTo("101"));
            Assert.That(fits.Fields()["Slots"], Is.EqualTo("180"));
            Assert.That(fits.Fields()["Budget"], Does.Contain("assumed: Consul's default").And.Contain("one source address (the agent is not on this host's loopback)"));
            Assert.That(shares, Has.Count.EqualTo(2), "once when it stops fitting, again when the shortfall grows by a twentieth or more");
            Assert.That(shares[0]["Queries"], Is.EqualTo("301"));
            Assert.That(long.Parse(shares[0]["WorstCaseDelaySeconds"], CultureInfo.InvariantCulture), Is.EqualTo((long)Math.Ceiling(budget.Slots.WorstCaseDelay(TimeSpan.FromMinutes(5), 301).TotalSeconds)));
            Assert.That(shares[0]["Remedy"], Does.Contain("http_max_conns_per_client on the agent to at least 335").And.Contain("agent:read"));
        });
    }
}
