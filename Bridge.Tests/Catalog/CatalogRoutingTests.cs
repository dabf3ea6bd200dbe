using Bridge.Core.Consul;
using Bridge.Core.Consul.ConfigEntries;
using static Bridge.Tests.Catalog.Entries;

namespace Bridge.Tests.Catalog;

/// <summary>Config entries as the catalog stage takes them: part of start-up, compiled into chains, the last good chain kept.</summary>
public sealed class CatalogRoutingTests
{
    private const string Stable = "\"stable\" in Service.Tags";

    private FakeLogger<CatalogStore> _log = null!;
    private CatalogStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _log = new FakeLogger<CatalogStore>();
        _store = new CatalogStore(_log);
    }

    [Test]
    public void Start_up_waits_for_every_config_entry_kind_and_the_datacenter_as_for_the_services()
    {
        _store.Apply([Set(1, "web"), Read("web", 2, Entry("n1", "web-1"))]);
        var afterServices = _store.Synced.IsCompleted;
        _store.Apply([.. ConfigEntryKinds.All.Select(kind => Observed(kind))]);
        var afterEntries = _store.Synced.IsCompleted;
        _store.Apply([new LocalDatacenterObserved("dc1")]);

        Assert.Multiple(() =>
        {
            Assert.That(afterServices, Is.False, "served before the routing was known: a split would be served as the default chain first");
            Assert.That(afterEntries, Is.False, "served before the local datacenter was known");
            Assert.That(_store.Synced.IsCompletedSuccessfully, Is.True);
            Assert.That(_store.Current.Routing.LocalDatacenter, Is.EqualTo("dc1"));
        });
    }

    [Test]
    public void Start_up_waits_for_the_instances_of_a_subset_a_chain_needs()
    {
        var subset = new HealthQuery("web", "", Stable);
        _store.Apply(
        [
            .. Routing(Resolver("""{"Kind":"service-resolver","Name":"web","DefaultSubset":"stable","Subsets":{"stable":{"Filter":"\"stable\" in Service.Tags"}}}""")),
            Set(1, "web"),
            Read("web", 2, Entry("n1", "web-1")),
        ]);
        var beforeSubset = _store.Synced.IsCompleted;
        var wanted = _store.Current.Routing.Queries().ToList();
        _store.Apply([new TargetEntriesObserved(subset, 3, [Entry("n1", "web-1")])]);

        Assert.Multiple(() =>
        {
            Assert.That(wanted, Is.EqualTo(new[] { subset }));
            Assert.That(beforeSubset, Is.False, "served before the subset's instances were read: the chain would point at an empty target");
            Assert.That(_store.Synced.IsCompletedSuccessfully, Is.True);
            Assert.That(_store.Current.Routing.Targets[subset].Instances, Has.Length.EqualTo(1));
        });
    }

    [Test]
    public void Instances_left_out_of_a_subset_read_are_listed_and_logged_once_naming_the_subset()
    {
        var subset = new HealthQuery("web", "", Stable);
        var poison = new SkippedInstance("n9", "web-9", "Service.Port", "-1");
        _store.Apply(
        [
            .. Routing(Resolver("""{"Kind":"service-resolver","Name":"web","DefaultSubset":"stable","Subsets":{"stable":{"Filter":"\"stable\" in Service.Tags"}}}""")),
            Set(1, "web"),
            Read("web", 2, Entry("n1", "web-1")),
        ]);
        _store.Apply([new TargetEntriesObserved(subset, 3, [Entry("n1", "web-1")]) { Skipped = [poison] }]);
        _store.Apply([new TargetEntriesObserved(subset, 4, [Entry("n1", "web-1"), new HealthServiceEntry { Node = new ConsulNode { Node = "n3" } }]) { Skipped = [poison] }]);

        var logged = _log.WithEvent("InstanceLeftOut").Select(e => (e.Fields()["ServiceId"], e.Fields()["Service"])).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Routing.Targets[subset].Instances, Has.Length.EqualTo(1));
            Assert.That(_store.Current.Routing.Targets[subset].LeftOut, Is.EqualTo(new[] { poison, new SkippedInstance("n3", "", "Service.ID", "(empty)") }));
            Assert.That(logged, Is.EqualTo(new[] { ("web-9", $"instances of web matching {Stable}"), ("", $"instances of web matching {Stable}") }));
        });
    }

    [Test]
    public void Chain_that_stops_compiling_is_logged_with_the_entry_at_fault_and_the_previous_chain_stays()
    {
        var splitter = """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":90},{"Weight":10,"Service":"web-canary"}]}""";
        _store.Apply(
        [
            .. Routing(Of(ConfigEntryKind.ServiceDefaults, WebDefaults("http"), CanaryDefaults), Of(ConfigEntryKind.ServiceSplitter, splitter)),
            Set(1, "web"),
            Read("web", 2, Entry("n1", "web-1")),
        ]);
        var compiled = _store.Current.Routing.Chains["web"];

        // A splitter needs an HTTP-based protocol: web back to tcp cannot carry it.
        _store.Apply([Observed(ConfigEntryKind.ServiceDefaults, WebDefaults("tcp"), CanaryDefaults)]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Routing.Chains["web"], Is.EqualTo(compiled));
            Assert.That(_store.Current.Routing.Errors.Keys, Does.Contain("web"));
            var error = _log.WithEvent("ChainNotCompiled").Single().Fields();
            Assert.That(error, Does.ContainKey("Service").WithValue("web"));
            Assert.That(error["Kind"], Does.StartWith("service-"));
        });
    }

    [Test]
    public void Entries_read_kind_by_kind_at_start_up_are_compiled_once_every_kind_is_read_with_no_error_on_the_way()
    {
        var resolver = """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{"Filter":"\"v1\" in Service.Tags"}}}""";
        var splitter = """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":100,"ServiceSubset":"v1"}]}""";
        _store.Apply([new LocalDatacenterObserved("dc1"), Set(1, "web"), Read("web", 2, Entry("n1", "web-1"))]);

        // The splitter's watch answers first: its subset is defined by a resolver not read yet.
        _store.Apply([Observed(ConfigEntryKind.ServiceDefaults, WebDefaults("http")), Observed(ConfigEntryKind.ServiceSplitter, splitter)]);
        _store.Apply([Observed(ConfigEntryKind.ServiceRouter)]);
        var beforeResolver = _store.Current.Routing.Chains.ContainsKey("web");
        _store.Apply([Observed(ConfigEntryKind.ServiceResolver, resolver)]);

        Assert.Multiple(() =>
        {
            Assert.That(beforeResolver, Is.False);
            Assert.That(_store.Current.Routing.Chains.Keys, Is.EqualTo(new[] { "web" }));
            Assert.That(_log.WithEvent("ChainNotCompiled"), Is.Empty, "half the entries are not a broken chain");
        });
    }

    [Test]
    public void Unreadable_entry_is_logged_by_kind_and_name_and_the_others_still_apply()
    {
        _store.Apply(
        [
            .. Routing(Of(
                ConfigEntryKind.ServiceResolver,
                """{"Kind":"service-resolver","Name":"web","Redirect":{"Service":"api"}}""",
                """{"Kind":"service-resolver","Name":"broken","ConnectTimeout":"soon"}""")),
            Set(1, "api", "web"),
            Read("web", 2, Entry("n1", "web-1")),
            Read("api", 3, Entry("n1", "api-1", service: "api")),
        ]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Synced.IsCompletedSuccessfully, Is.True);
            Assert.That(_store.Current.Routing.Chains.Keys, Does.Contain("web"));
            var unreadable = _log.WithEvent("ConfigEntryUnreadable").Single().Fields();
            Assert.That(unreadable, Does.ContainKey("Kind").WithValue("service-resolver").And.ContainKey("Name").WithValue("broken"));
        });
    }

    [Test]
    public void A_routing_read_that_fails_is_a_problem_of_routing_and_does_not_hold_start_up()
    {
        var dc2 = new HealthQuery("web", "dc2", "");
        _store.Apply(
        [
            .. Routing(Resolver("""{"Kind":"service-resolver","Name":"web","Failover":{"*":{"Datacenters":["dc2"]}}}""")),
            Set(1, "web"),
            Read("web", 2, Entry("n1", "web-1")),
            new RoutingReadChanged(dc2, "No path to datacenter"),
        ]);
        var whileFailing = (_store.Synced.IsCompletedSuccessfully, _store.ConsulAvailable, _store.Problems.ToList());
        _store.Apply([new RoutingReadChanged(dc2, null), new TargetEntriesObserved(dc2, 3, [Entry("n9", "web-9")])]);

        Assert.Multiple(() =>
        {
            Assert.That(whileFailing.IsCompletedSuccessfully, Is.True, "a datacenter out of reach does not hold start-up to its bound");
            Assert.That(whileFailing.ConsulAvailable, Is.True);
            Assert.That(whileFailing.Item3, Has.Some.Contains("instances of web in dc2: No path to datacenter"));
            Assert.That(_store.Problems, Is.Empty, "the read answers again");
        });
    }

    [Test]
    public void A_chain_proxies_would_reject_keeps_the_target_reads_of_the_chain_still_served()
    {
        var v1 = new HealthQuery("web", "", "\"v1\" in Service.Tags");
        var subsets = """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{"Filter":"\"v1\" in Service.Tags"},"v2":{"Filter":"\"v2\" in Service.Tags"}}}""";
        var toV1 = """{"Kind":"service-router","Name":"web","Routes":[{"Match":{"HTTP":{"PathPrefix":"/v1"}},"Destination":{"ServiceSubset":"v1"}}]}""";
        // Consul takes this regex; RE2 (Envoy, gRPC) has no lookahead, so the Xds stage keeps serving the chain to v1.
        var toV2 = """{"Kind":"service-router","Name":"web","Routes":[{"Match":{"HTTP":{"PathRegex":"/(?=v2).*"}},"Destination":{"ServiceSubset":"v2"}}]}""";
        _store.Apply(
        [
            .. Routing(Of(ConfigEntryKind.ServiceDefaults, WebDefaults("http")), Resolver(subsets), Of(ConfigEntryKind.ServiceRouter, toV1)),
            Set(1, "web"),
            Read("web", 2, Entry("n1", "web-1")),
        ]);
        var before = _store.Current.Routing.Queries().ToList();

        _store.Apply([Observed(ConfigEntryKind.ServiceRouter, toV2)]);

        Assert.Multiple(() =>
        {
            Assert.That(before, Does.Contain(v1));
            Assert.That(_store.Current.Routing.Queries(), Does.Contain(v1), "v1's instances are still served through the kept chain: its read must go on");
        });
    }

    private const string CanaryDefaults = """{"Kind":"service-defaults","Name":"web-canary","Protocol":"http"}""";

    private static string WebDefaults(string protocol) => $$"""{"Kind":"service-defaults","Name":"web","Protocol":"{{protocol}}"}""";

    private static (ConfigEntryKind Kind, string[] Json) Resolver(string json) => Of(ConfigEntryKind.ServiceResolver, json);

    private static (ConfigEntryKind Kind, string[] Json) Of(ConfigEntryKind kind, params string[] json) => (kind, json);

    /// <summary>Every kind read (those not given are empty) and the datacenter dc1.</summary>
    private static IEnumerable<ConsulEvent> Routing(params (ConfigEntryKind Kind, string[] Json)[] entries) =>
        ConfigEntryKinds.All
            .Select(kind => Observed(kind, [.. entries.Where(e => e.Kind == kind).SelectMany(e => e.Json)]))
            .Append(new LocalDatacenterObserved("dc1"));

    private static ServiceSetObserved Set(ulong index, params string[] services) =>
        new(ImmutableSortedSet.Create(StringComparer.Ordinal, services), index);

    private static ServiceEntriesObserved Read(string service, ulong index, params HealthServiceEntry[] entries) =>
        new(service, index, entries);

    private static ConsulEvent Observed(ConfigEntryKind kind, params string[] json) =>
        new ConfigEntriesObserved(ConfigEntryDecoder.Decode(kind, Encoding.UTF8.GetBytes($"[{string.Join(",", json)}]")), 1);
}
