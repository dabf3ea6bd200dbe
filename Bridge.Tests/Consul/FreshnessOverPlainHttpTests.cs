using Bridge.Core.Consul;
using Bridge.Daemon.Security;
using Bridge.DevAgent;
using Bridge.DevAgent.Catalog;
using Bridge.Tests.DevAgent;

namespace Bridge.Tests.Consul;

/// <summary>
/// The watcher, its query slots and the daemon's transport against a dev agent over plain HTTP that enforces Consul's
/// per-client-address connection limit, with more services than one address may hold connections for.
/// </summary>
[NonParallelizable]
public sealed class FreshnessOverPlainHttpTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Blocking queries besides one per service: the service list and one per config entry kind.</summary>
    private const int OtherWatches = 5;

    [Test]
    [CancelAfter(120_000)]
    public async Task A_change_to_any_of_more_services_than_one_address_allows_is_seen_while_every_query_stays_parked(CancellationToken ct)
    {
        // 10 connections per client address: 40 services, the service list and the four config entry kinds need 45
        // queries, 9 per address.
        await using var agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0", MaxConnsPerClient = 10 }, ct);
        const int services = 40;
        Seed(agent, services);
        var options = new ConsulOptions { Address = agent.Address.GetLeftPart(UriPartial.Authority), ExcludeServices = ["consul"] };
        await using var watch = await Watch.StartAsync(options, ct);

        await watch.ReadAllAsync(services, ct);
        await TestAgent.Until(() => agent.GetStatistics().BlockingQueriesInFlight == services + OtherWatches, "every service's query parked at once");
        var parked = agent.GetStatistics();
        var changed = $"svc-{new Random(7).Next(services):D2}";
        agent.Catalog.RegisterCatalogEntry(Registration(changed, port: 9001));
        var seen = await watch.NextEntriesOfAsync(changed, ct);

        Assert.Multiple(() =>
        {
            Assert.That(watch.Budget.AgentLimit, Is.EqualTo(10), "read from /v1/agent/self");
            Assert.That(watch.Budget.Slots.Capacity, Is.GreaterThanOrEqualTo(services + OtherWatches));
            Assert.That(seen.Entries.Single().Service!.Port, Is.EqualTo(9001));
            Assert.That(parked.ConnectionsPerIp.Values, Is.All.LessThanOrEqualTo(9), "nine tenths of the agent's limit per source address");
            Assert.That(parked.ConnectionsPerIp, Has.Count.GreaterThanOrEqualTo(5));
            Assert.That(parked.ConnectionsPerIp.Keys, Has.No.EqualTo("127.0.0.1"), "127.0.0.1 is left to the host's other clients");
            Assert.That(agent.GetStatistics().PeakConnectionsByIp.Values, Is.All.LessThanOrEqualTo(10));
            Assert.That(agent.GetStatistics().TooManyRequestsResponses, Is.Zero);
            Assert.That(watch.Log.WithEvent("ConsulQueriesInFlight").Last().Fields()["Queries"], Is.EqualTo((services + OtherWatches).ToString(CultureInfo.InvariantCulture)));
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task From_one_address_the_bridge_stays_within_the_agent_s_allowance_and_queries_take_turns_within_the_promised_delay(CancellationToken ct)
    {
        await using var agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0", MaxConnsPerClient = 10 }, ct);
        const int services = 20;
        Seed(agent, services);
        var options = new ConsulOptions
        {
            Address = agent.Address.GetLeftPart(UriPartial.Authority),
            ExcludeServices = ["consul"],
            SourceAddresses = "none",
            Wait = TimeSpan.FromSeconds(2),
        };
        await using var watch = await Watch.StartAsync(options, ct);

        await watch.ReadAllAsync(services, ct);
        var promise = watch.Log.WithEvent("ConsulQueriesShareSlots").Last().Fields();
        var changed = "svc-13";
        agent.Catalog.RegisterCatalogEntry(Registration(changed, port: 9002));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var seen = await watch.NextEntriesOfAsync(changed, ct);

        var stats = agent.GetStatistics();
        Assert.Multiple(() =>
        {
            Assert.That(seen.Entries.Single().Service!.Port, Is.EqualTo(9002));
            Assert.That(promise["Slots"], Is.EqualTo("9"));
            Assert.That(promise["Queries"], Is.EqualTo((services + OtherWatches).ToString(CultureInfo.InvariantCulture)));
            Assert.That(promise["Remedy"], Does.Contain("http_max_conns_per_client on the agent to at least 28"));
            // The promise bounds the wait for a turn; the answer itself and a loaded machine get a few seconds more.
            Assert.That(clock.Elapsed.TotalSeconds, Is.LessThan(long.Parse(promise["WorstCaseDelaySeconds"], CultureInfo.InvariantCulture) + 5));
            // Nine queries in flight at most; the tenth of the agent's allowance is the headroom for a connection
            // HttpClient opens while a finished one is still being returned to its pool.
            Assert.That(stats.PeakConnectionsByIp["127.0.0.1"], Is.LessThanOrEqualTo(10));
            Assert.That(stats.TooManyRequestsResponses, Is.Zero);
        });
    }

    private static void Seed(DevAgentServer agent, int services)
    {
        for (var s = 0; s < services; s++)
        {
            agent.Catalog.RegisterCatalogEntry(Registration($"svc-{s:D2}", port: 8080));
        }
    }

    private static CatalogRegistration Registration(string service, int port) => new()
    {
        Node = "node-" + service,
        Address = "10.0.0.1",
        Service = new CatalogServiceRegistration { Id = service + "-1", Service = service, Port = port },
    };

    /// <summary>The watcher wired as the daemon wires it: budget, transport, client.</summary>
    private sealed class Watch : IAsyncDisposable
    {
        private readonly Channel<ConsulEvent> _events = Channel.CreateUnbounded<ConsulEvent>();
        private readonly CancellationTokenSource _stop = new();
        private readonly HttpClient _http;
        private Task _run = Task.CompletedTask;

        private Watch(ConsulOptions options)
        {
            Budget = new ConnectionBudget(options, Log);
            _http = new HttpClient(ConsulTransport.CreateHandler(options, ConsulConnections.For(Budget)))
            {
                BaseAddress = new Uri(options.Address),
                Timeout = Timeout.InfiniteTimeSpan,
            };
            Client = new ConsulClient(_http, options);
            Watcher = new CatalogWatcher(Client, options, NullLogger<CatalogWatcher>.Instance, slots: Budget.Slots);
        }

        public FakeLogger<ConnectionBudget> Log { get; } = new();

        public ConnectionBudget Budget { get; }

        public ConsulClient Client { get; }

        public CatalogWatcher Watcher { get; }

        public static async Task<Watch> StartAsync(ConsulOptions options, CancellationToken ct)
        {
            var watch = new Watch(options);
            await watch.Budget.StartAsync(watch.Client.GetAgentConnectionLimitAsync, ct);
            watch._run = watch.Watcher.RunAsync(watch._events.Writer, watch._stop.Token);
            return watch;
        }

        /// <summary>Waits for the first read of every one of <paramref name="services"/> services.</summary>
        public async Task ReadAllAsync(int services, CancellationToken ct)
        {
            var read = new HashSet<string>(StringComparer.Ordinal);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(Patience);
            while (read.Count < services)
            {
                if (await _events.Reader.ReadAsync(deadline.Token) is ServiceEntriesObserved observed)
                {
                    read.Add(observed.Service);
                }
            }
        }

        public async Task<ServiceEntriesObserved> NextEntriesOfAsync(string service, CancellationToken ct)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(Patience);
            while (true)
            {
                if (await _events.Reader.ReadAsync(deadline.Token) is ServiceEntriesObserved observed && observed.Service == service)
                {
                    return observed;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _run;
            }
            catch (OperationCanceledException)
            {
            }

            _http.Dispose();
            _stop.Dispose();
        }
    }
}
