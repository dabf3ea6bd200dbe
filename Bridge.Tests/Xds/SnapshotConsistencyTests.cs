using Bridge.Core.Consul;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using static Bridge.Tests.Catalog.Entries;

namespace Bridge.Tests.Xds;

/// <summary>
/// What is served depends only on the catalog and the settings: applied change by change, rebuilt on a reload, or
/// started fresh from a state file, the same catalog gives the same resources, and a departed service stays visible
/// to gRPC clients in every one of those paths.
/// </summary>
[NonParallelizable] // XdsResource.Serialisations is process-wide.
public sealed class SnapshotConsistencyTests
{
    private FakeLogger<XdsCache> _log = null!;
    private CatalogStore _store = null!;
    private XdsCache _cache = null!;

    /// <summary>The scopes a test's streams hold, for the fresh build to hold too.</summary>
    private Dictionary<string, IReadOnlySet<string>>? _scopes;

    /// <summary>The <c>service:port</c> listeners a test's gRPC clients asked for, for the fresh build to serve too.</summary>
    private List<string>? _portedNames;

    [SetUp]
    public void SetUp()
    {
        _log = new FakeLogger<XdsCache>();
        _store = new CatalogStore(new FakeLogger<CatalogStore>(), new CatalogOptions { RemovalGuard = false });
        _store.Apply([.. ConsulFeed.NoRouting()]);
        _cache = new XdsCache(new XdsOptions(), _log);
        _store.Subscribe(_cache.Apply);
        _scopes = null;
        _portedNames = null;
    }

    [Test]
    public void Changes_applied_one_by_one_serve_exactly_what_a_fresh_build_of_the_final_catalog_serves()
    {
        var random = new Random(42);
        var names = Enumerable.Range(0, 12).Select(i => $"svc{i}").ToArray();
        var present = new SortedSet<string>(StringComparer.Ordinal);
        _store.Apply([new ServiceSetObserved([], 1)]);

        // Streams scoped to a few of the names: each scope's route must follow what is served of its own names.
        _scopes = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal)
        {
            ["low"] = new HashSet<string>(["svc0", "svc1", "svc2"], StringComparer.Ordinal),
            ["mid"] = new HashSet<string>(["svc2", "svc5", "svc7"], StringComparer.Ordinal),
            ["odd"] = new HashSet<string>(names.Where((_, i) => i % 2 == 1), StringComparer.Ordinal),
            ["none"] = new HashSet<string>(["elsewhere"], StringComparer.Ordinal),
        };
        var leases = _scopes.Select(kv => _cache.HoldScope(kv.Key, kv.Value)!).ToList();

        // gRPC clients dialling service:port names, of services that come and go.
        _portedNames = ["svc1:8080", "svc4:9090", "svc4:8080", "elsewhere:80"];
        _portedNames.ForEach(_cache.RequestPortedListener);
        for (var step = 0; step < 300; step++)
        {
            var name = names[random.Next(names.Length)];
            if (present.Contains(name) && random.Next(3) == 0)
            {
                present.Remove(name);
                _store.Apply([new ServiceSetObserved([.. present], (ulong)step + 2)]);
            }
            else
            {
                present.Add(name);
                var instances = Enumerable.Range(0, random.Next(0, 4))
                    .Select(i => Entry($"n{i}", $"{name}-{i}", service: name, nodeAddress: $"10.0.{i}.{random.Next(1, 3)}", port: random.Next(2) == 0 ? 8080 : 0,
                        meta: random.Next(4) == 0 ? new Dictionary<string, string> { ["lb_policy"] = random.Next(2) == 0 ? "maglev" : "bogus" } : null,
                        checks: [Check(random.Next(4) == 0 ? "critical" : "passing", serviceId: $"{name}-{i}")]))
                    .ToArray();
                _store.Apply([new ServiceSetObserved([.. present], (ulong)step + 2), new ServiceEntriesObserved(name, (ulong)step + 2, instances)]);
            }

            if (step % 25 == 0)
            {
                AssertSameAsFresh(new XdsOptions(), $"step {step}");
            }
        }

        AssertSameAsFresh(new XdsOptions(), "end");
        leases.ForEach(lease => lease.Dispose());
    }

    /// <summary>Every settings key a reload applies, each changed alone from its default.</summary>
    private static IEnumerable<TestCaseData> ReloadableSettings()
    {
        yield return new TestCaseData(new XdsOptions { Warning = WarningMapping.Exclude }).SetName("Reload_of_Xds_Warning_serves_what_a_fresh_start_would");
        yield return new TestCaseData(new XdsOptions { Unhealthy = UnhealthyMapping.Unhealthy }).SetName("Reload_of_Xds_Unhealthy_serves_what_a_fresh_start_would");
        yield return new TestCaseData(new XdsOptions { ZoneNodeMetaKey = "rack" }).SetName("Reload_of_Xds_ZoneNodeMetaKey_serves_what_a_fresh_start_would");
        yield return new TestCaseData(new XdsOptions { ConnectTimeout = TimeSpan.FromSeconds(2) }).SetName("Reload_of_Xds_ConnectTimeout_serves_what_a_fresh_start_would");
        yield return new TestCaseData(new XdsOptions { EnvoyListenerAddress = "0.0.0.0" }).SetName("Reload_of_Xds_EnvoyListenerAddress_serves_what_a_fresh_start_would");
        yield return new TestCaseData(new XdsOptions { EnvoyListenerPort = 15002 }).SetName("Reload_of_Xds_EnvoyListenerPort_serves_what_a_fresh_start_would");
        yield return new TestCaseData(new XdsOptions { EnvoyListenerName = "egress" }).SetName("Reload_of_Xds_EnvoyListenerName_serves_what_a_fresh_start_would");
        yield return new TestCaseData(new XdsOptions { GrpcRingHash = true }).SetName("Reload_of_Xds_GrpcRingHash_serves_what_a_fresh_start_would");
    }

    [TestCaseSource(nameof(ReloadableSettings))]
    public void Reload_serves_what_a_fresh_start_with_the_new_settings_would(XdsOptions reloaded)
    {
        SyncWebAndApi();
        _store.Apply([new ServiceSetObserved(["web"], 5)]);

        _cache.UpdateOptions(reloaded);

        AssertSameAsFresh(reloaded, "after the reload");
        Assert.Multiple(() =>
        {
            Assert.That(_cache.Current.Get(ClientKind.Envoy, TypeUrls.Listener).ByName.Keys, Is.EqualTo(new[] { reloaded.EnvoyListenerName }), "one listener, under the new name only");
            Assert.That(_cache.Current.Get(ClientKind.Envoy, TypeUrls.RouteConfiguration).ByName.Keys, Is.EqualTo(new[] { reloaded.EnvoyListenerName }));
        });
    }

    [Test]
    public void Reload_of_the_listener_name_marks_the_old_names_changed_and_scoped_routes_follow()
    {
        SyncWebAndApi();
        using var lease = _cache.HoldScope("web", new HashSet<string>(StringComparer.Ordinal) { "web" });
        var before = _cache.Current.ScopedRoutes["web"];

        _cache.UpdateOptions(new XdsOptions { EnvoyListenerName = "egress" });
        var after = _cache.Current.ScopedRoutes["web"];

        Assert.Multiple(() =>
        {
            Assert.That(before.Name, Is.EqualTo("outbound_http"));
            Assert.That(after.Name, Is.EqualTo("egress"), "a scoped route built before the reload is not served after it");
            Assert.That(after.Packed.Unpack<RouteConfiguration>().Name, Is.EqualTo("egress"));
            Assert.That(_cache.Current.ChangedNames[TypeUrls.Listener], Is.SupersetOf(new[] { "outbound_http", "egress" }));
        });
    }

    [Test]
    public void Reload_after_a_newer_catalog_was_applied_serves_the_newer_catalog_in_either_order()
    {
        SyncWebAndApi();

        // The reload is decided while the catalog has web and api; a newer catalog (api gone) is applied before it runs.
        _store.Apply([new ServiceSetObserved(["web"], 7)]);
        _cache.UpdateOptions(new XdsOptions { ConnectTimeout = TimeSpan.FromSeconds(3) });
        Assert.That(_cache.Current.Get(ClientKind.Envoy, TypeUrls.Cluster).ByName.Keys, Is.EqualTo(new[] { "web" }));

        // And the other way round: the reload first, the newer catalog after.
        _cache.UpdateOptions(new XdsOptions { ConnectTimeout = TimeSpan.FromSeconds(4) });
        _store.Apply([new ServiceSetObserved([], 8)]);
        Assert.That(_cache.Current.Get(ClientKind.Envoy, TypeUrls.Cluster).ByName.Keys, Is.Empty);
        AssertSameAsFresh(new XdsOptions { ConnectTimeout = TimeSpan.FromSeconds(4) }, "end");
    }

    [Test]
    public void Departed_service_keeps_its_grpc_listener_with_a_port_and_its_route_cluster_and_empty_assignment()
    {
        SyncWebAndApi();
        _cache.RequestPortedListener("web:8080");
        _cache.RequestPortedListener("nothing:8080");

        _store.Apply([new ServiceSetObserved(["api"], 5)]);
        var snapshot = _cache.Current;

        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Get(ClientKind.Grpc, TypeUrls.Listener).ByName.ContainsKey("web:8080"), "xds:///web:8080 must not be told web does not exist");
            Assert.That(snapshot.Get(ClientKind.Grpc, TypeUrls.Listener).ByName.ContainsKey("nothing:8080"), Is.False);
            foreach (var typeUrl in TypeUrls.All)
            {
                Assert.That(snapshot.Get(ClientKind.Grpc, typeUrl).ByName.ContainsKey("web"), typeUrl);
                Assert.That(snapshot.Get(ClientKind.Grpc, typeUrl).Wildcard.Contains("web"), Is.False, typeUrl + " tombstones are in no wildcard answer");
            }

            Assert.That(snapshot.Get(ClientKind.Envoy, TypeUrls.Cluster).ByName.ContainsKey("web"), Is.False);
        });
    }

    [Test]
    public void Service_readded_with_unchanged_resources_rejoins_every_wildcard_set()
    {
        SyncWebAndApi();
        var web = _store.Current.Services["web"];
        _store.Apply([new ServiceSetObserved(["api"], 5)]);

        _store.Apply([new ServiceSetObserved(["api", "web"], 6), new ServiceEntriesObserved("web", 6, [Entry("n1", "web-1", nodeAddress: "10.0.2.1")])]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Services["web"].SameInstances(web), "setup: the same instances came back");
            foreach (var kind in new[] { ClientKind.Envoy, ClientKind.Grpc })
            {
                Assert.That(_cache.Current.Get(kind, TypeUrls.Cluster).Wildcard, Does.Contain("web"), $"{kind} clusters");
                Assert.That(_cache.Current.Get(kind, TypeUrls.ClusterLoadAssignment).Wildcard, Does.Contain("web"), $"{kind} assignments");
            }

            Assert.That(_cache.Current.Tombstones, Is.Empty);
        });
    }

    [Test]
    public void Departed_services_from_the_state_file_are_tombstoned_after_a_restart()
    {
        SyncWebAndApi();
        _store.Apply([new ServiceSetObserved(["api"], 5)]);
        var saved = _store.Current;

        // A new process: the catalog comes back from the state file with its departed list.
        var store = new CatalogStore(new FakeLogger<CatalogStore>());
        store.Apply([.. ConsulFeed.NoRouting()]);
        var cache = new XdsCache(new XdsOptions(), new FakeLogger<XdsCache>());
        store.Subscribe(cache.Apply);
        store.LoadPersisted(saved.Services, DateTimeOffset.UtcNow, saved.Departed);

        Assert.Multiple(() =>
        {
            Assert.That(cache.Current.Tombstones, Is.EqualTo(new[] { "web" }));
            Assert.That(cache.Current.Tombstones, Does.Contain("web"));
            Assert.That(cache.Current.Get(ClientKind.Grpc, TypeUrls.Listener).ByName.Keys, Is.EquivalentTo(new[] { "api", "web" }));
        });
    }

    [Test]
    public void Services_differing_only_in_case_share_one_virtual_host_with_unique_lowercase_domains()
    {
        _store.Apply([
            new ServiceSetObserved(["WEB", "Web", "api", "web", "api.service.consul", "odd*name"], 1),
            .. new[] { "WEB", "Web", "api", "web", "api.service.consul", "odd*name" }.Select((s, i) => new ServiceEntriesObserved(s, 1, [Entry("n1", s + "-1", service: s, nodeAddress: $"10.0.0.{i + 1}")])),
        ]);
        _cache.UpdateOptions(new XdsOptions());

        var route = _cache.Current.Get(ClientKind.Envoy, TypeUrls.RouteConfiguration).ByName["outbound_http"].Packed.Unpack<RouteConfiguration>();
        var domains = route.VirtualHosts.SelectMany(v => v.Domains).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(domains.Select(d => d.ToLowerInvariant()), Is.Unique, "Envoy rejects a domain twice, whatever its case");
            Assert.That(route.VirtualHosts.Select(v => v.Name), Is.Unique);
            Assert.That(route.VirtualHosts.Select(v => v.Name), Is.EquivalentTo(new[] { "WEB", "api", "api.service.consul" }));
            Assert.That(route.VirtualHosts.Single(v => v.Name == "WEB").Domains, Does.Contain("web").And.Contain("web.service.consul"));
            Assert.That(route.VirtualHosts.Single(v => v.Name == "WEB").Routes.Single().Route_.Cluster, Is.EqualTo("WEB"));
            Assert.That(domains, Has.None.Contains("*name"), "a service name with a * cannot be a domain");
            Assert.That(_cache.Current.Get(ClientKind.Envoy, TypeUrls.Cluster).ByName.Keys, Is.EquivalentTo(new[] { "WEB", "Web", "api", "web", "api.service.consul", "odd*name" }), "every spelling keeps its cluster");
            Assert.That(_log.WithEvent("ServiceNamesDifferInCase").Single().Fields()["Services"], Is.EqualTo("WEB, Web, web"), "logged once, not on every rebuild");
        });
    }

    [Test]
    public void Instance_left_out_is_logged_once_however_often_its_service_changes()
    {
        _store.Apply([new ServiceSetObserved(["web"], 1), new ServiceEntriesObserved("web", 1, [Entry("n1", "web-1"), Entry("n2", "web-bad", port: 0)])]);
        for (var i = 2; i < 6; i++)
        {
            _store.Apply([new ServiceEntriesObserved("web", (ulong)i, [Entry("n1", "web-1", port: 8080 + i), Entry("n2", "web-bad", port: 0)])]);
        }

        Assert.Multiple(() =>
        {
            Assert.That(_log.WithEvent("InvalidInstanceSkipped").ToList(), Has.Count.EqualTo(1));
            Assert.That(_cache.Current.LeftOut["web"], Is.EqualTo(new[] { new SkippedInstance("n2", "web-bad", "port", "0") }));
        });
    }

    private void SyncWebAndApi() =>
        _store.Apply([
            new ServiceSetObserved(["api", "web"], 1),
            new ServiceEntriesObserved("api", 2, [Entry("n1", "api-1", service: "api", nodeAddress: "10.0.1.1")]),
            new ServiceEntriesObserved("web", 2, [Entry("n1", "web-1", nodeAddress: "10.0.2.1")]),
        ]);

    private void AssertSameAsFresh(XdsOptions options, string when)
    {
        var fresh = XdsCache.BuildFresh(options, _store.Current, new FakeLogger(), _scopes, _portedNames);
        var served = _cache.Current;
        Assert.Multiple(() =>
        {
            Assert.That(Describe(served), Is.EqualTo(Describe(fresh)), when);
            Assert.That(served.Tombstones, Is.EqualTo(fresh.Tombstones), when);
            Assert.That(served.ScopedRoutes.ToDictionary(kv => kv.Key, kv => kv.Value.Version), Is.EquivalentTo(fresh.ScopedRoutes.ToDictionary(kv => kv.Key, kv => kv.Value.Version)), when);
        });
    }

    /// <summary>Every resource as kind, type, name, version and wildcard membership.</summary>
    private static List<string> Describe(XdsSnapshot snapshot) =>
        [.. snapshot.Sets
            .Where(kv => !kv.Value.ByName.IsEmpty)
            .SelectMany(kv => kv.Value.ByName.Values.Select(r => $"{kv.Key.Kind} {TypeUrls.Short(kv.Key.TypeUrl)} {r.Name} {r.Version} {kv.Value.Wildcard.Contains(r.Name)}"))
            .Order(StringComparer.Ordinal)];
}
