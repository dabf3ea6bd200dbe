using Bridge.Core.Consul;

namespace Bridge.Tests.Consul;

public sealed class CatalogWatcherTests
{
    private const string Services = "/v1/catalog/services";
    private const string HealthWeb = "/v1/health/service/web";
    private const string WebEntries = """[{"Node":{"Node":"n1","Address":"10.0.0.1","Datacenter":"dc1"},"Service":{"ID":"web-1","Service":"web","Port":8080},"Checks":[]}]""";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private ScriptedConsul _consul = null!;
    private FakeLogger<CatalogWatcher> _log = null!;
    private CatalogWatcher _watcher = null!;
    private Channel<ConsulEvent> _events = null!;
    private CancellationTokenSource _cts = null!;
    private Task _run = null!;

    [SetUp]
    public void SetUp() => Start(new ConsulOptions());

    [TearDown]
    public async Task TearDown()
    {
        await _cts.CancelAsync();
        try
        {
            await _run.WaitAsync(Patience);
        }
        catch (OperationCanceledException)
        {
        }

        _cts.Dispose();
        _consul.Dispose();
    }

    [Test]
    public async Task Watch_reads_the_service_list_without_blocking_then_blocks_on_its_index()
    {
        var first = await _consul.NextAsync(Services);
        first.Json("""{"web":[]}""", 10);
        var second = await _consul.NextAsync(Services);

        var set = await NextEventAsync<ServiceSetObserved>();
        Assert.Multiple(() =>
        {
            Assert.That(first.Index, Is.Null);
            Assert.That(second.Index, Is.EqualTo(10UL));
            Assert.That(second.Request.Query["wait"], Is.EqualTo("300000ms"));
            Assert.That(set.Services, Is.EqualTo(new[] { "web" }));
            Assert.That(set.Index, Is.EqualTo(10UL));
        });
    }

    /// <summary>
    /// The same body again emits no event, whether Consul answered at the index it was asked for (the blocking
    /// query timed out) or at a new one (something else in the catalog changed): the next query waits on that index.
    /// </summary>
    [TestCase(10UL, TestName = "Watch_emits_nothing_when_a_blocking_query_times_out_unchanged")]
    [TestCase(15UL, TestName = "Watch_adopts_a_new_index_without_an_event_when_the_body_is_unchanged")]
    public async Task Unchanged_body_emits_nothing(ulong answeredIndex)
    {
        await ListServices("""{"web":[]}""", 10);

        (await _consul.NextAsync(Services)).Json("""{"web":[]}""", answeredIndex);
        var third = await _consul.NextAsync(Services);
        // A change the watch must report: an event for the unchanged body would come before it.
        third.Json("""{"api":[],"web":[]}""", answeredIndex + 1);
        var next = await _events.Reader.ReadAsync().AsTask().WaitAsync(Patience);

        Assert.Multiple(() =>
        {
            Assert.That(third.Index, Is.EqualTo(answeredIndex));
            Assert.That(next, Is.InstanceOf<ServiceSetObserved>().With.Property(nameof(ServiceSetObserved.Index)).EqualTo(answeredIndex + 1), $"unexpected {next}");
        });
    }

    [Test]
    public async Task Watch_resets_index_when_consul_index_goes_backwards()
    {
        await ListServices("""{"web":[]}""", 100);

        (await _consul.NextAsync(Services)).Json("""{"web":[]}""", 7);
        var reRead = await _consul.NextAsync(Services);
        reRead.Json("""{"web":[]}""", 7);
        var next = await _consul.NextAsync(Services);

        Assert.Multiple(() =>
        {
            Assert.That(reRead.Index, Is.Null, "after the index went backwards the next read must be a full, non-blocking one");
            Assert.That(next.Index, Is.EqualTo(7UL));
        });
    }

    [Test]
    public async Task Watch_reports_a_changed_service_list()
    {
        await ListServices("""{"web":[]}""", 10);

        (await _consul.NextAsync(Services)).Json("""{"web":[],"api":[]}""", 11);

        var set = await NextEventAsync<ServiceSetObserved>();
        Assert.That(set.Services, Is.EqualTo(new[] { "api", "web" }));
    }

    [Test]
    public async Task Watch_applies_the_service_filters_to_the_list()
    {
        await RestartAsync(new ConsulOptions { ExcludeServices = ["consul"], ExcludeTags = ["internal"] });

        (await _consul.NextAsync(Services)).Json("""{"consul":[],"web":["http"],"admin":["internal"]}""", 10);

        var set = await NextEventAsync<ServiceSetObserved>();
        await _consul.NextAsync(HealthWeb);
        Assert.Multiple(() =>
        {
            Assert.That(set.Services, Is.EqualTo(new[] { "web" }));
            Assert.That(_watcher.WatchedServices, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Watch_reads_each_listed_service_and_reports_its_entries()
    {
        await ListServices("""{"web":[]}""", 10);

        var health = await _consul.NextAsync(HealthWeb);
        health.Json(WebEntries, 12);
        var next = await _consul.NextAsync(HealthWeb);

        var read = await NextEventAsync<ServiceEntriesObserved>();
        Assert.Multiple(() =>
        {
            Assert.That(health.Index, Is.Null);
            Assert.That(next.Index, Is.EqualTo(12UL));
            Assert.That(read.Service, Is.EqualTo("web"));
            Assert.That(read.Index, Is.EqualTo(12UL));
            Assert.That(read.Entries.Single().Service!.ID, Is.EqualTo("web-1"));
        });
    }

    [Test]
    public async Task Watch_reports_zero_instances_when_consul_says_so()
    {
        await ListServices("""{"web":[]}""", 10);
        (await _consul.NextAsync(HealthWeb)).Json(WebEntries, 12);
        await NextEventAsync<ServiceEntriesObserved>();

        (await _consul.NextAsync(HealthWeb)).Json("[]", 13);

        var read = await NextEventAsync<ServiceEntriesObserved>();
        Assert.That(read.Entries, Is.Empty);
    }

    [Test]
    public async Task Watch_keeps_instances_an_acl_filtered_answer_leaves_out_and_rereads_without_blocking_until_it_is_unfiltered()
    {
        await RestartWith(new ConsulOptions { AclRetryWait = TimeSpan.FromMilliseconds(50) });
        await ListServices("""{"web":[]}""", 10);
        (await _consul.NextAsync(HealthWeb)).Json(WebEntries, 12);
        await NextEventAsync<ServiceEntriesObserved>();

        // The token lost node:read: Consul's answer has nothing, at the same index, with the header set.
        var filtered = StubHttpHandler.Json("[]", "12");
        filtered.Headers.Add("X-Consul-Results-Filtered-By-ACLs", "true");
        (await _consul.NextAsync(HealthWeb)).Respond(filtered);
        var hold = await NextEventAsync<AclHoldChanged>();
        var kept = await NextEventAsync<ServiceEntriesObserved>();
        var reread = await _consul.NextAsync(HealthWeb);

        Assert.Multiple(() =>
        {
            Assert.That(hold, Is.EqualTo(new AclHoldChanged("web", 1)));
            Assert.That(kept.Entries.Select(e => e.Service!.ID), Is.EqualTo(new[] { "web-1" }), "ACL filtering is never a deregistration");
            Assert.That(reread.Request.Query, Does.Not.ContainKey("index"), "the index does not move when the token is fixed: only a fresh read sees it");
            Assert.That(_log.WithEvent("AclFilteredEmptyIgnored").Single().Fields(), Does.ContainKey("Service").WithValue("web"));
        });

        // The token works again: same index, a body without the header, which is followed as it is.
        reread.Json("[]", 12);
        var released = await NextEventAsync<AclHoldChanged>();
        var now = await NextEventAsync<ServiceEntriesObserved>();
        var next = await _consul.NextAsync(HealthWeb);
        Assert.Multiple(() =>
        {
            Assert.That(released, Is.EqualTo(new AclHoldChanged("web", 0)));
            Assert.That(now.Entries, Is.Empty, "an unfiltered answer is Consul's word");
            Assert.That(next.Request.Query["wait"], Is.EqualTo("300000ms"));
            Assert.That(_log.WithEvent("AclFilteredReleased").ToList(), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Watch_keeps_a_served_instance_that_consul_lists_unreadably_and_leaves_out_one_never_read()
    {
        await ListServices("""{"web":[]}""", 10);
        (await _consul.NextAsync(HealthWeb)).Json(WebEntries, 12);
        await NextEventAsync<ServiceEntriesObserved>();

        // web-1's port arrives as a string (a proxy rewriting bodies); web-2 is new and unreadable from the start.
        const string mangled = """
            [{"Node":{"Node":"n1","Address":"10.0.0.1"},"Service":{"ID":"web-1","Service":"web","Port":"8080"},"Checks":[]},
             {"Node":{"Node":"n2","Address":"10.0.0.2"},"Service":{"ID":"web-2","Service":"web","Port":"8080"},"Checks":[]}]
            """;
        (await _consul.NextAsync(HealthWeb)).Json(mangled, 13);
        var held = await NextEventAsync<UnreadableHoldChanged>();
        var read = await NextEventAsync<ServiceEntriesObserved>();

        Assert.Multiple(() =>
        {
            Assert.That(held, Is.EqualTo(new UnreadableHoldChanged("web", 1)));
            Assert.That(read.Entries.Select(e => e.Service!.ID), Is.EqualTo(new[] { "web-1" }), "web-1 keeps its last known state; web-2 was never read");
            Assert.That(read.Entries.Single().Service!.Port, Is.EqualTo(8080));
            Assert.That(read.Skipped.Select(s => s.ServiceId), Is.EqualTo(new[] { "web-1", "web-2" }));
        });

        // Readable again: followed as it is, nothing held.
        (await _consul.NextAsync(HealthWeb)).Json("[]", 14);
        Assert.That(await NextEventAsync<UnreadableHoldChanged>(), Is.EqualTo(new UnreadableHoldChanged("web", 0)));
        Assert.That((await NextEventAsync<ServiceEntriesObserved>()).Entries, Is.Empty);
    }

    [Test]
    public async Task Watch_keeps_services_an_acl_filtered_list_leaves_out_until_an_unfiltered_answer_says_they_are_gone()
    {
        await RestartWith(new ConsulOptions { AclRetryWait = TimeSpan.FromMilliseconds(50) });
        await ListServices("""{"web":[],"api":[]}""", 10);
        var pendingWeb = await _consul.NextAsync(HealthWeb);

        // The token lost service:read on everything: an empty list, same index, header set.
        var filtered = StubHttpHandler.Json("{}", "10");
        filtered.Headers.Add("X-Consul-Results-Filtered-By-ACLs", "true");
        (await _consul.NextAsync(Services)).Respond(filtered);
        var hold = await NextEventAsync<AclHoldChanged>();
        var set = await NextEventAsync<ServiceSetObserved>();
        var reread = await _consul.NextAsync(Services);

        Assert.Multiple(() =>
        {
            Assert.That(hold, Is.EqualTo(new AclHoldChanged(null, 2)));
            Assert.That(set.Services, Is.EqualTo(new[] { "api", "web" }), "no service is removed by a filtered list");
            Assert.That(pendingWeb.Abandoned.Task.IsCompleted, Is.False, "the kept services are still watched");
            Assert.That(reread.Request.Query, Does.Not.ContainKey("index"));
            Assert.That(_log.WithEvent("AclFilteredServicesHeld").Single().Fields()["Held"], Is.EqualTo("2"));
        });

        // web's own watch answers, unfiltered, that it has no instances: web really is gone; api stays held.
        pendingWeb.Json("[]", 11);
        await NextEventAsync<ServiceEntriesObserved>();
        var smaller = await NextEventAsync<AclHoldChanged>();
        var without = await NextEventAsync<ServiceSetObserved>();
        Assert.Multiple(() =>
        {
            Assert.That(smaller, Is.EqualTo(new AclHoldChanged(null, 1)));
            Assert.That(without.Services, Is.EqualTo(new[] { "api" }));
        });

        // The token works again: the list is unfiltered and is followed as it is.
        reread.Json("""{"api":[]}""", 10);
        Assert.That(await NextEventAsync<AclHoldChanged>(), Is.EqualTo(new AclHoldChanged(null, 0)));
        Assert.That((await NextEventAsync<ServiceSetObserved>()).Services, Is.EqualTo(new[] { "api" }));
    }

    [Test]
    public async Task Retry_after_longer_than_the_longest_backoff_is_capped()
    {
        await RestartWith(new ConsulOptions { RetryMaxDelay = TimeSpan.FromMilliseconds(200) });
        var first = await _consul.NextAsync(Services);
        var limited = StubHttpHandler.Text(HttpStatusCode.TooManyRequests, "slow down");
        limited.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromHours(1));
        first.Respond(limited);

        // Without the cap this request would come an hour later.
        var retried = await _consul.NextAsync(Services);
        Assert.That(retried.Request.Query, Does.Not.ContainKey("index"));
    }

    [Test]
    public async Task Answers_without_an_index_are_polled_slowly_with_one_warning()
    {
        var time = new TimerWatchingClock();
        await RestartWith(new ConsulOptions { IndexlessPollInterval = TimeSpan.FromSeconds(15), MinQueryInterval = TimeSpan.Zero }, time);
        (await _consul.NextAsync(Services)).Respond(StubHttpHandler.Json("""{"web":[]}""", index: null));
        await NextEventAsync<ServiceSetObserved>();

        // The watch now sleeps on the clock: nothing is asked until the poll interval has passed.
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(15));
        var next = _consul.NextAsync(Services);
        time.Advance(TimeSpan.FromSeconds(14));
        Assert.That(next.IsCompleted, Is.False, "no query before the poll interval");
        time.Advance(TimeSpan.FromSeconds(1));
        (await next).Respond(StubHttpHandler.Json("""{"web":[]}""", index: null));
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(15));
        time.Advance(TimeSpan.FromSeconds(15));
        await _consul.NextAsync(Services);

        Assert.That(_log.WithEvent("ConsulIndexMissing").ToList(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Watch_stops_reading_a_service_that_leaves_the_list()
    {
        await ListServices("""{"web":[]}""", 10);
        var pendingHealth = await _consul.NextAsync(HealthWeb);

        (await _consul.NextAsync(Services)).Json("{}", 11);
        await pendingHealth.Abandoned.Task.WaitAsync(Patience);

        var set = await NextEventAsync<ServiceSetObserved>();
        Assert.Multiple(() =>
        {
            Assert.That(set.Services, Is.Empty);
            Assert.That(_watcher.WatchedServices, Is.Zero);
        });
    }

    [Test]
    public async Task Failed_query_reports_unavailable_once_then_re_reads_without_index_and_reports_recovery()
    {
        await ListServices("""{"web":[]}""", 10);

        (await _consul.NextAsync(Services)).Respond(StubHttpHandler.Text(HttpStatusCode.InternalServerError, "No cluster leader"));
        var retry = await _consul.NextAsync(Services);
        retry.Respond(StubHttpHandler.Text(HttpStatusCode.InternalServerError, "No cluster leader"));
        var secondRetry = await _consul.NextAsync(Services);
        var down = await NextEventAsync<ConsulAvailabilityChanged>();
        // The service list itself failed: Consul is out of reach, not one service.
        var unreachable = await NextEventAsync<ConsulReachabilityChanged>();
        secondRetry.Json("""{"web":[]}""", 10);
        var afterRecovery = await _consul.NextAsync(Services);
        // The next event must be the recovery: a second report of unavailability would come before it.
        var up = await _events.Reader.ReadAsync().AsTask().WaitAsync(Patience);
        var reachable = await NextEventAsync<ConsulReachabilityChanged>();
        // A change the watch must report: an event for the unchanged answer after recovery would come before it.
        afterRecovery.Json("""{"api":[],"web":[]}""", 11);
        var change = await _events.Reader.ReadAsync().AsTask().WaitAsync(Patience);

        Assert.Multiple(() =>
        {
            Assert.That(down.Available, Is.False);
            Assert.That(down.Error, Does.Contain("No cluster leader"));
            Assert.That(unreachable.Reachable, Is.False);
            Assert.That(reachable.Reachable, Is.True);
            Assert.That(up, Is.InstanceOf<ConsulAvailabilityChanged>().With.Property(nameof(ConsulAvailabilityChanged.Available)).True,
                $"a second failure must not report unavailability again: {up}");
            Assert.That(retry.Index, Is.Null, "after a failure the next read must not block");
            Assert.That(secondRetry.Index, Is.Null);
            Assert.That(afterRecovery.Index, Is.EqualTo(10UL));
            Assert.That(change, Is.InstanceOf<ServiceSetObserved>().With.Property(nameof(ServiceSetObserved.Index)).EqualTo(11UL),
                $"an unchanged answer after recovery is no change: {change}");
            Assert.That(_log.WithEvent("ConsulQueryFailed").First().Fields(), Does.ContainKey("ErrorKind").WithValue(nameof(ConsulErrorKind.ServerError)));
        });
    }

    [Test]
    public async Task Availability_returns_when_a_failing_service_watch_is_stopped()
    {
        await ListServices("""{"web":[]}""", 10);
        (await _consul.NextAsync(HealthWeb)).Respond(StubHttpHandler.Text(HttpStatusCode.InternalServerError, "rpc error"));
        var retry = await _consul.NextAsync(HealthWeb);
        Assert.That((await NextEventAsync<ConsulAvailabilityChanged>()).Available, Is.False, "setup: the failing web watch reported Consul unavailable");

        // The only failing watch goes away with its service; the watch that remains answers normally.
        (await _consul.NextAsync(Services)).Json("{}", 11);
        await retry.Abandoned.Task.WaitAsync(Patience);
        await _consul.NextAsync(Services);

        var up = await FirstEventWithinAsync<ConsulAvailabilityChanged>(TimeSpan.FromSeconds(1));

        Assert.That(up?.Available, Is.True, "no watch is failing any more, yet Consul is never reported available again");
    }

    [Test]
    public async Task Target_reads_asked_for_before_the_watch_runs_start_when_it_runs()
    {
        // As after a restart from the state file: the restored routing asks for its targets before Consul is watched.
        await TearDown();
        var options = new ConsulOptions { MinQueryInterval = TimeSpan.Zero, RetryBaseDelay = TimeSpan.FromMilliseconds(1), RetryMaxDelay = TimeSpan.FromMilliseconds(20) };
        _consul = new ScriptedConsul();
        _log = new FakeLogger<CatalogWatcher>();
        _watcher = new CatalogWatcher(new ConsulClient(new HttpClient(_consul) { BaseAddress = new Uri("http://consul.test:8500") }, options), options, _log);
        _events = Channel.CreateUnbounded<ConsulEvent>();
        _cts = new CancellationTokenSource();
        var subset = new HealthQuery("web", "", "\"v1\" in Service.Tags");
        _watcher.WatchTargets(new HashSet<HealthQuery> { subset });

        _run = _watcher.RunAsync(_events.Writer, _cts.Token);
        var read = await _consul.NextAsync(HealthWeb);

        Assert.That(read.Request.Query["filter"], Is.EqualTo(subset.Filter));
    }

    [Test]
    public async Task A_routing_read_that_fails_is_reported_as_routing_and_leaves_consul_available()
    {
        var router = await _consul.NextAsync("/v1/config/service-router");
        router.Respond(new HttpResponseMessage(HttpStatusCode.Forbidden) { Content = new StringContent("Permission denied: token lacks service:read") });

        var seen = new List<ConsulEvent>();
        RoutingReadChanged? failing = null;
        while (failing is null)
        {
            var e = await _events.Reader.ReadAsync().AsTask().WaitAsync(Patience);
            seen.Add(e);
            failing = e as RoutingReadChanged;
        }

        Assert.Multiple(() =>
        {
            Assert.That(failing.Read, Is.EqualTo(Bridge.Core.Consul.ConfigEntries.ConfigEntryKind.ServiceRouter));
            Assert.That(failing.Error, Does.Contain("Permission denied"));
            Assert.That(seen.OfType<ConsulAvailabilityChanged>(), Is.Empty, "Consul answers the catalog: a routing read alone does not make it unavailable");
        });
    }

    // ---- Helpers ------------------------------------------------------------------------------------

    private void Start(ConsulOptions options, TimeProvider? time = null)
    {
        options = options with
        {
            MinQueryInterval = TimeSpan.Zero,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            RetryMaxDelay = TimeSpan.FromMilliseconds(20),
        };
        _consul = new ScriptedConsul();
        _log = new FakeLogger<CatalogWatcher>();
        var client = new ConsulClient(new HttpClient(_consul) { BaseAddress = new Uri("http://consul.test:8500") }, options);
        _watcher = new CatalogWatcher(client, options, _log, time);
        _events = Channel.CreateUnbounded<ConsulEvent>();
        _cts = new CancellationTokenSource();
        _run = _watcher.RunAsync(_events.Writer, _cts.Token);
    }

    private async Task RestartAsync(ConsulOptions options)
    {
        await TearDown();
        Start(options);
    }

    /// <summary>Starts again with these options (pacing and retry delays only as given) and this clock.</summary>
    private async Task RestartWith(ConsulOptions options, TimeProvider? time = null)
    {
        await TearDown();
        Start(options, time);
    }

    /// <summary>Answers the first read of the service list and consumes the event it raises.</summary>
    private async Task ListServices(string body, ulong index)
    {
        (await _consul.NextAsync(Services)).Json(body, index);
        await NextEventAsync<ServiceSetObserved>();
    }

    /// <summary>The first event of type <typeparamref name="T"/> within <paramref name="patience"/>, skipping others; null if none came.</summary>
    private async Task<T?> FirstEventWithinAsync<T>(TimeSpan patience)
        where T : ConsulEvent
    {
        using var deadline = new CancellationTokenSource(patience);
        try
        {
            while (true)
            {
                if (await _events.Reader.ReadAsync(deadline.Token) is T match)
                {
                    return match;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task<T> NextEventAsync<T>(TimeSpan? patience = null)
        where T : ConsulEvent
    {
        var e = await _events.Reader.ReadAsync().AsTask().WaitAsync(patience ?? Patience);
        return e as T ?? throw new AssertionException($"expected a {typeof(T).Name}, got {e}");
    }
}
