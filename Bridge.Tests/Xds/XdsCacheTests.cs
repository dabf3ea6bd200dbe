using Bridge.Core.Consul;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using static Bridge.Tests.Catalog.Entries;

namespace Bridge.Tests.Xds;

/// <summary>The cache fed the way the daemon feeds it: by a <see cref="CatalogStore"/> it subscribes to.</summary>
[NonParallelizable] // XdsResource.Serialisations is process-wide.
public sealed class XdsCacheTests
{
    private static readonly ClientKind[] Kinds = [ClientKind.Envoy, ClientKind.Grpc];

    private CatalogStore _store = null!;
    private XdsCache _cache = null!;

    [SetUp]
    public void SetUp() => (_store, _cache) = Pipeline();

    [Test]
    public void Synced_catalog_is_served_as_a_cluster_and_an_assignment_per_service_to_both_client_kinds()
    {
        Sync(_store, ("api", [Entry("n1", "api-1", service: "api", nodeAddress: "10.0.1.1")]), ("web", [Entry("n1", "web-1", nodeAddress: "10.0.2.1")]));

        var snapshot = _cache.Current;
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Ready, Is.True);
            foreach (var kind in Kinds)
            {
                var clusters = snapshot.Get(kind, TypeUrls.Cluster);
                var assignments = snapshot.Get(kind, TypeUrls.ClusterLoadAssignment);
                Assert.That(clusters.ByName.Keys, Is.EqualTo(new[] { "api", "web" }), $"{kind} clusters");
                Assert.That(clusters.Wildcard, Is.EqualTo(new[] { "api", "web" }), $"{kind} wildcard clusters");
                Assert.That(clusters.ByName.Values.Select(r => r.Packed.Unpack<Cluster>().Name), Is.EqualTo(new[] { "api", "web" }));
                Assert.That(clusters.ByName.Values.Select(r => r.Packed.TypeUrl), Is.All.EqualTo(TypeUrls.Cluster));
                Assert.That(
                    assignments.ByName.Values.Select(r => r.Packed.Unpack<ClusterLoadAssignment>()).Select(c => (c.ClusterName, c.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress.Address)),
                    Is.EqualTo(new[] { ("api", "10.0.1.1"), ("web", "10.0.2.1") }));
                Assert.That(assignments.ByName.Values.Select(r => r.Packed.TypeUrl), Is.All.EqualTo(TypeUrls.ClusterLoadAssignment));
            }
        });
    }

    [Test]
    public void Snapshot_is_not_ready_until_the_catalog_is_synced()
    {
        _store.Apply([Set(1, "api", "web"), new ServiceEntriesObserved("web", 2, [Entry("n1", "web-1")])]);
        var partial = _cache.Current;
        _store.Apply([new ServiceEntriesObserved("api", 3, [Entry("n1", "api-1", service: "api")])]);

        Assert.Multiple(() =>
        {
            Assert.That(partial.Ready, Is.False);
            Assert.That(partial.Get(ClientKind.Envoy, TypeUrls.Cluster).ByName.Keys, Is.EqualTo(new[] { "web" }));
            Assert.That(_cache.Current.Ready, Is.True);
            Assert.That(_cache.Current.Generation, Is.GreaterThan(partial.Generation));
        });
    }

    [Test]
    public void Catalog_change_that_changes_no_resource_publishes_no_new_generation()
    {
        Sync(_store, ("web", [Entry("n1", "web-1", tags: ["a"])]));
        var before = _cache.Current;

        // Tags are part of the catalog but not of any resource served.
        _store.Apply([new ServiceEntriesObserved("web", 9, [Entry("n1", "web-1", tags: ["a", "b"])])]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Generation, Is.EqualTo(2), "setup: the catalog itself changed");
            Assert.That(_cache.Current, Is.SameAs(before));
        });
    }

    [Test]
    public void Change_to_one_service_leaves_every_other_resource_untouched()
    {
        Sync(_store, ("api", [Entry("n1", "api-1", service: "api")]), ("web", [Entry("n1", "web-1", nodeAddress: "10.0.0.1")]));
        var before = _cache.Current;

        _store.Apply([new ServiceEntriesObserved("web", 9, [Entry("n1", "web-1", nodeAddress: "10.0.0.99")])]);

        var after = _cache.Current;
        Assert.Multiple(() =>
        {
            Assert.That(after.Generation, Is.EqualTo(before.Generation + 1));
            foreach (var kind in Kinds)
            {
                Assert.That(Resource(after, kind, TypeUrls.Cluster, "api"), Is.SameAs(Resource(before, kind, TypeUrls.Cluster, "api")));
                Assert.That(Resource(after, kind, TypeUrls.ClusterLoadAssignment, "api"), Is.SameAs(Resource(before, kind, TypeUrls.ClusterLoadAssignment, "api")));
                Assert.That(Resource(after, kind, TypeUrls.Cluster, "web"), Is.SameAs(Resource(before, kind, TypeUrls.Cluster, "web")), "web's cluster did not change, only its endpoints");
                Assert.That(Resource(after, kind, TypeUrls.ClusterLoadAssignment, "web").Version, Is.Not.EqualTo(Resource(before, kind, TypeUrls.ClusterLoadAssignment, "web").Version));
            }

            Assert.That(after.MayHaveChanged(TypeUrls.ClusterLoadAssignment, "web"), Is.True);
            Assert.That(after.MayHaveChanged(TypeUrls.ClusterLoadAssignment, "api"), Is.False);
            Assert.That(after.MayHaveChanged(TypeUrls.Cluster, "web"), Is.False);
            Assert.That(after.MayHaveChanged(TypeUrls.Cluster, "api"), Is.False);
        });
    }

    [Test]
    public void Version_is_a_hash_of_the_content_equal_across_caches()
    {
        var (otherStore, otherCache) = Pipeline();
        (string, HealthServiceEntry[])[] catalog = [("api", [Entry("n1", "api-1", service: "api")]), ("web", [Entry("n1", "web-1"), Entry("n2", "web-1", nodeAddress: "10.0.0.2")])];
        Sync(_store, catalog);
        Sync(otherStore, catalog);
        var (thirdStore, thirdCache) = Pipeline();
        Sync(thirdStore, ("api", [Entry("n1", "api-1", service: "api")]), ("web", [Entry("n1", "web-1")]));

        Assert.Multiple(() =>
        {
            foreach (var typeUrl in new[] { TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment })
            {
                foreach (var name in new[] { "api", "web" })
                {
                    var mine = Resource(_cache.Current, ClientKind.Envoy, typeUrl, name);
                    var other = Resource(otherCache.Current, ClientKind.Envoy, typeUrl, name);
                    Assert.That(other, Is.Not.SameAs(mine));
                    Assert.That(other.Version, Is.EqualTo(mine.Version), $"{typeUrl} {name}");
                    Assert.That(other.Version, Is.Not.Empty);
                }
            }

            Assert.That(
                Resource(thirdCache.Current, ClientKind.Envoy, TypeUrls.ClusterLoadAssignment, "web").Version,
                Is.Not.EqualTo(Resource(_cache.Current, ClientKind.Envoy, TypeUrls.ClusterLoadAssignment, "web").Version));
            Assert.That(
                Resource(thirdCache.Current, ClientKind.Envoy, TypeUrls.ClusterLoadAssignment, "api").Version,
                Is.EqualTo(Resource(_cache.Current, ClientKind.Envoy, TypeUrls.ClusterLoadAssignment, "api").Version));
        });
    }

    [Test]
    public void Each_resource_is_serialised_once_per_version_and_reading_serialises_nothing()
    {
        var start = XdsResource.Serialisations;
        Sync(_store, ("api", [Entry("n1", "api-1", service: "api")]), ("web", [Entry("n1", "web-1")]), ("db", [Entry("n1", "db-1", service: "db")]));
        var afterSync = XdsResource.Serialisations;

        _store.Apply([new ServiceEntriesObserved("web", 9, [Entry("n2", "web-1", nodeAddress: "10.0.0.2")])]);
        var afterOneChange = XdsResource.Serialisations;

        for (var i = 0; i < 100; i++)
        {
            var snapshot = _cache.Current;
            foreach (var kind in Kinds)
            {
                foreach (var typeUrl in TypeUrls.All)
                {
                    foreach (var resource in snapshot.Get(kind, typeUrl).ByName.Values)
                    {
                        _ = (resource.Packed.Value.Length, resource.Version, resource.Message);
                    }
                }
            }
        }

        var afterReads = XdsResource.Serialisations;
        _store.Apply([Set(10, "api", "web")]);
        var afterRemoval = XdsResource.Serialisations;

        Assert.Multiple(() =>
        {
            Assert.That(afterSync - start, Is.EqualTo((3 * 4) + 2),
                "three services, each a cluster and an assignment shared by both client kinds plus a gRPC listener and route; then Envoy's listener and route");
            Assert.That(afterOneChange - afterSync, Is.EqualTo(1), "an instance change re-serialises the service's assignment only: its cluster is unchanged");
            Assert.That(afterReads - afterOneChange, Is.Zero);
            Assert.That(afterRemoval - afterReads, Is.EqualTo(2), "a removal serialises Envoy's route (one virtual host fewer) and the empty assignment gRPC clients keep");
        });
    }

    [Test]
    public void Removed_service_loses_its_cluster_and_assignment_and_the_names_are_marked_changed()
    {
        Sync(_store, ("api", [Entry("n1", "api-1", service: "api")]), ("web", [Entry("n1", "web-1")]));
        var before = _cache.Current;

        _store.Apply([Set(10, "api")]);

        var after = _cache.Current;
        Assert.Multiple(() =>
        {
            Assert.That(after.Generation, Is.EqualTo(before.Generation + 1));
            foreach (var typeUrl in new[] { TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment })
            {
                Assert.That(after.Get(ClientKind.Envoy, typeUrl).ByName.Keys, Is.EqualTo(new[] { "api" }), $"envoy {typeUrl}");
                Assert.That(after.Get(ClientKind.Envoy, typeUrl).Wildcard, Is.EqualTo(new[] { "api" }), $"envoy {typeUrl} wildcard");
                Assert.That(after.Get(ClientKind.Grpc, typeUrl).Wildcard, Is.EqualTo(new[] { "api" }), $"grpc {typeUrl} wildcard");
            }

            // gRPC clients keep a removed service, without endpoints, so that it can come back (see XdsCache).
            Assert.That(after.Get(ClientKind.Grpc, TypeUrls.Cluster).ByName.Keys, Is.EquivalentTo(new[] { "api", "web" }));
            Assert.That(after.Get(ClientKind.Grpc, TypeUrls.ClusterLoadAssignment).ByName["web"].Message, Is.EqualTo(new Envoy.Config.Endpoint.V3.ClusterLoadAssignment { ClusterName = "web" }));

            Assert.That(after.MayHaveChanged(TypeUrls.Cluster, "web"), Is.True);
            Assert.That(after.MayHaveChanged(TypeUrls.ClusterLoadAssignment, "web"), Is.True);
            Assert.That(after.MayHaveChanged(TypeUrls.Cluster, "api"), Is.False);
        });
    }

    [Test]
    public void Reload_that_renames_the_envoy_listener_withdraws_the_old_listener_and_route()
    {
        // Envoy told of both would keep the old listener on the address and refuse the new one ("has duplicate
        // address ... as existing listener"), or, on another port, keep listening where it no longer should.
        Sync(_store, ("web", [Entry("n1", "web-1")]));

        _cache.UpdateOptions(new XdsOptions { EnvoyListenerName = "egress" });

        var after = _cache.Current;
        Assert.Multiple(() =>
        {
            Assert.That(after.Get(ClientKind.Envoy, TypeUrls.Listener).ByName.Keys, Is.EqualTo(new[] { "egress" }));
            Assert.That(after.Get(ClientKind.Envoy, TypeUrls.Listener).Wildcard, Is.EqualTo(new[] { "egress" }));
            Assert.That(after.Get(ClientKind.Envoy, TypeUrls.RouteConfiguration).ByName.Keys, Is.EqualTo(new[] { "egress" }));
            Assert.That(after.MayHaveChanged(TypeUrls.Listener, "outbound_http"), Is.True, "streams holding the old listener learn it is gone");
            Assert.That(after.MayHaveChanged(TypeUrls.RouteConfiguration, "outbound_http"), Is.True);
        });
    }

    [Test]
    public void Service_with_zero_instances_is_served_with_an_empty_assignment()
    {
        Sync(_store, ("web", []));

        var cla = Resource(_cache.Current, ClientKind.Grpc, TypeUrls.ClusterLoadAssignment, "web").Packed.Unpack<ClusterLoadAssignment>();

        Assert.Multiple(() =>
        {
            Assert.That(cla.ClusterName, Is.EqualTo("web"));
            Assert.That(cla.Endpoints, Is.Empty);
        });
    }

    [Test]
    public void ChangedSince_joins_the_names_of_every_generation_between_and_forgets_past_its_log()
    {
        Sync(_store, ("api", [Entry("n1", "api-1", service: "api", nodeAddress: "10.0.1.1")]), ("web", [Entry("n1", "web-1", nodeAddress: "10.0.2.1")]));
        var start = _cache.Current.Generation;
        _store.Apply([new ServiceEntriesObserved("web", 10, [Entry("n1", "web-1", nodeAddress: "10.0.2.2")])]);
        _store.Apply([new ServiceEntriesObserved("api", 11, [Entry("n1", "api-1", service: "api", nodeAddress: "10.0.1.2")])]);
        var now = _cache.Current;

        Assert.Multiple(() =>
        {
            Assert.That(now.Generation, Is.EqualTo(start + 2));
            Assert.That(_cache.ChangedSince(start, now, TypeUrls.ClusterLoadAssignment), Is.EquivalentTo(new[] { "api", "web" }));
            Assert.That(_cache.ChangedSince(start + 1, now, TypeUrls.ClusterLoadAssignment), Is.EquivalentTo(new[] { "api" }));
            Assert.That(_cache.ChangedSince(start, now, TypeUrls.Listener), Is.Empty);
            Assert.That(_cache.ChangedSince(now.Generation, now, TypeUrls.ClusterLoadAssignment), Is.Empty);
            Assert.That(_cache.ChangedSince(-1, now, TypeUrls.ClusterLoadAssignment), Is.Null, "never evaluated");
        });

        for (var i = 0; i < ChangeLog.Length; i++)
        {
            _store.Apply([new ServiceEntriesObserved("web", 20 + (ulong)i, [Entry("n1", "web-1", nodeAddress: $"10.0.3.{1 + i}")])]);
        }

        var later = _cache.Current;
        Assert.Multiple(() =>
        {
            Assert.That(later.Generation, Is.EqualTo(now.Generation + ChangeLog.Length));
            Assert.That(_cache.ChangedSince(now.Generation, later, TypeUrls.ClusterLoadAssignment), Is.EquivalentTo(new[] { "web" }));
            Assert.That(_cache.ChangedSince(start, later, TypeUrls.ClusterLoadAssignment), Is.Null, "older than the log: compare everything");
        });
    }

    [Test]
    public void Snapshots_that_change_no_names_take_no_place_in_the_change_log()
    {
        // Thousands of streams declaring new scopes at start-up each publish a snapshot that changes no names; a
        // stream that saw the catalog before them must still catch up by the log, not by comparing everything.
        Sync(_store, ("api", [Entry("n1", "api-1", service: "api", nodeAddress: "10.0.1.1")]), ("web", [Entry("n1", "web-1", nodeAddress: "10.0.2.1")]));
        var start = _cache.Current.Generation;
        _store.Apply([new ServiceEntriesObserved("web", 10, [Entry("n1", "web-1", nodeAddress: "10.0.2.2")])]);
        var leases = Enumerable.Range(0, ChangeLog.Length + 10)
            .Select(i => _cache.HoldScope($"scope-{i}", new HashSet<string>(i % 2 == 0 ? ["web"] : ["api"], StringComparer.Ordinal)))
            .ToList();
        _store.Apply([new ServiceEntriesObserved("api", 11, [Entry("n1", "api-1", service: "api", nodeAddress: "10.0.1.2")])]);
        var now = _cache.Current;

        Assert.Multiple(() =>
        {
            Assert.That(now.Generation, Is.EqualTo(start + ChangeLog.Length + 12), "every scope was published");
            Assert.That(_cache.ChangedSince(start, now, TypeUrls.ClusterLoadAssignment), Is.EquivalentTo(new[] { "api", "web" }));
            Assert.That(_cache.ChangedSince(start + 5, now, TypeUrls.ClusterLoadAssignment), Is.EquivalentTo(new[] { "api" }));
        });

        foreach (var lease in leases)
        {
            lease!.Dispose();
        }
    }

    private static (CatalogStore Store, XdsCache Cache) Pipeline()
    {
        var store = new CatalogStore(new FakeLogger<CatalogStore>());
        store.Apply([.. ConsulFeed.NoRouting()]);
        var cache = new XdsCache(new XdsOptions(), new FakeLogger<XdsCache>());
        store.Subscribe(cache.Apply);
        return (store, cache);
    }

    private static void Sync(CatalogStore store, params (string Service, HealthServiceEntry[] Entries)[] services)
    {
        store.Apply([Set(1, [.. services.Select(s => s.Service)]), .. services.Select(s => new ServiceEntriesObserved(s.Service, 2, s.Entries))]);
        Assert.That(store.Current.Synced, Is.True, "setup: catalog synced");
    }

    private static ServiceSetObserved Set(ulong index, params string[] services) =>
        new(ImmutableSortedSet.Create(StringComparer.Ordinal, services), index);

    private static XdsResource Resource(XdsSnapshot snapshot, ClientKind kind, string typeUrl, string name) =>
        snapshot.Get(kind, typeUrl).ByName[name];
}
