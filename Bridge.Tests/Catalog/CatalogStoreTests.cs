using Bridge.Core.Consul;
using static Bridge.Tests.Catalog.Entries;

namespace Bridge.Tests.Catalog;

public sealed class CatalogStoreTests
{
    private FakeLogger<CatalogStore> _log = null!;
    private CatalogStore _store = null!;
    private List<(CatalogSnapshot Snapshot, CatalogDiff Diff)> _published = null!;

    [SetUp]
    public void SetUp()
    {
        _log = new FakeLogger<CatalogStore>();
        _store = new CatalogStore(_log);
        _store.Apply([.. ConsulFeed.NoRouting()]);
        _published = [];
        _store.Subscribe((snapshot, diff) => _published.Add((snapshot, diff)));
    }

    [Test]
    public void First_reads_publish_each_service_as_added()
    {
        _store.Apply([Set(1, "api", "web"), Read("api", 3, Entry("n1", "api-1", service: "api")), Read("web", 4, Entry("n1", "web-1"), Entry("n2", "web-1"))]);

        var (snapshot, diff) = _published.Single();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Services.Keys, Is.EqualTo(new[] { "api", "web" }));
            Assert.That(snapshot.Services["web"].Instances, Has.Length.EqualTo(2));
            Assert.That(snapshot.Services["web"].Index, Is.EqualTo(4UL));
            Assert.That(snapshot.Generation, Is.EqualTo(1));
            Assert.That(snapshot.Source, Is.EqualTo(CatalogSource.Consul));
            Assert.That(diff.Changes.Select(c => (c.Service, c.Kind, c.Added.Length)), Is.EquivalentTo(new[]
            {
                ("api", ServiceChangeKind.Added, 1),
                ("web", ServiceChangeKind.Added, 2),
            }));
            Assert.That(_store.Current, Is.SameAs(snapshot));
        });
    }

    [Test]
    public void Listed_service_not_yet_read_is_not_in_the_snapshot()
    {
        _store.Apply([Set(1, "api", "web"), Read("web", 2, Entry("n1", "web-1"))]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Services.Keys, Is.EqualTo(new[] { "web" }), "a service not read yet must not be served, not even as empty");
            Assert.That(_store.Current.Synced, Is.False);
        });
    }

    [Test]
    public void Synced_completes_only_when_every_listed_service_has_been_read()
    {
        _store.Apply([Set(1, "api", "web")]);
        var afterList = _store.Synced.IsCompleted;
        _store.Apply([Read("web", 2, Entry("n1", "web-1"))]);
        var afterOne = _store.Synced.IsCompleted;
        _store.Apply([Read("api", 3, Entry("n1", "api-1", service: "api"))]);

        Assert.Multiple(() =>
        {
            Assert.That(afterList, Is.False);
            Assert.That(afterOne, Is.False);
            Assert.That(_store.Synced.IsCompletedSuccessfully, Is.True);
            Assert.That(_store.Current.Synced, Is.True);
            Assert.That(_log.WithEvent("CatalogSynced").Single().Fields(), Does.ContainKey("Services").WithValue("2").And.ContainKey("Instances").WithValue("2"));
        });
    }

    [Test]
    public void Service_dropped_from_the_list_before_its_first_read_no_longer_holds_back_sync()
    {
        _store.Apply([Set(1, "api", "web"), Read("web", 2, Entry("n1", "web-1"))]);
        _store.Apply([Set(5, "web")]);

        Assert.That(_store.Synced.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public void Empty_service_list_is_synced_at_once()
    {
        _store.Apply([Set(1)]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Synced.IsCompletedSuccessfully, Is.True);
            Assert.That(_store.Current.Synced, Is.True);
            Assert.That(_store.Current.Services, Is.Empty);
        });
    }

    [Test]
    public void No_service_list_yet_is_not_synced()
    {
        _store.Apply([new ConsulAvailabilityChanged(true, null)]);

        Assert.That(_store.Synced.IsCompleted, Is.False);
    }

    [Test]
    public void Empty_entries_publish_the_service_with_zero_instances()
    {
        _store.Apply([Set(1, "web"), Read("web", 2, Entry("n1", "web-1"))]);

        _store.Apply([Read("web", 3)]);

        var (snapshot, diff) = _published.Last();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Services, Does.ContainKey("web"), "Consul said zero instances: the service stays, empty");
            Assert.That(snapshot.Services["web"].Instances, Is.Empty);
            Assert.That(diff.Changes.Single().Kind, Is.EqualTo(ServiceChangeKind.Changed));
            Assert.That(diff.Changes.Single().Removed.Select(i => i.Key), Is.EqualTo(new[] { new InstanceKey("n1", "web-1") }));
        });
    }

    [Test]
    public void First_read_with_zero_instances_publishes_an_empty_service()
    {
        _store.Apply([Set(1, "web"), Read("web", 2)]);

        var (snapshot, diff) = _published.Single();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Services["web"].Instances, Is.Empty);
            Assert.That(diff.Changes.Single(), Has.Property(nameof(ServiceChange.Kind)).EqualTo(ServiceChangeKind.Added));
            Assert.That(snapshot.Synced, Is.True);
        });
    }

    [Test]
    public void Identical_list_under_a_new_index_publishes_nothing_and_keeps_the_generation()
    {
        _store.Apply([Set(1, "web"), Read("web", 2, Entry("n1", "web-1"))]);
        var generation = _store.Current.Generation;

        _store.Apply([Read("web", 9, Entry("n1", "web-1"))]);

        Assert.Multiple(() =>
        {
            Assert.That(_published, Has.Count.EqualTo(1));
            Assert.That(_store.Current.Generation, Is.EqualTo(generation));
            Assert.That(_store.Current.Services["web"].Index, Is.EqualTo(9UL), "the new index is kept for diagnostics");
        });
    }

    [Test]
    public void Tag_order_and_duplicates_alone_publish_nothing()
    {
        _store.Apply([Set(1, "web"), Read("web", 2, Entry("n1", "web-1", tags: ["a", "b"]))]);

        _store.Apply([Read("web", 3, Entry("n1", "web-1", tags: ["b", "a", "b"]))]);

        Assert.That(_published, Has.Count.EqualTo(1));
    }

    [Test]
    public void Changed_instances_publish_a_change_and_a_new_generation()
    {
        _store.Apply([Set(1, "web"), Read("web", 2, Entry("n1", "web-1"), Entry("n2", "web-1"))]);

        _store.Apply([Read("web", 3, Entry("n2", "web-1", checks: Check("critical")), Entry("n3", "web-1"))]);

        var (snapshot, diff) = _published.Last();
        var change = diff.Changes.Single();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Generation, Is.EqualTo(2));
            Assert.That(change.Service, Is.EqualTo("web"));
            Assert.That(change.Kind, Is.EqualTo(ServiceChangeKind.Changed));
            Assert.That(change.Added.Select(i => i.Key.Node), Is.EqualTo(new[] { "n3" }));
            Assert.That(change.Removed.Select(i => i.Key.Node), Is.EqualTo(new[] { "n1" }));
            Assert.That(change.Changed.Select(i => (i.Key.Node, i.Health)), Is.EqualTo(new[] { ("n2", HealthState.Critical) }));
            Assert.That(_log.WithEvent("ServiceChanged").Single().Fields(), Does.ContainKey("Service").WithValue("web"));
        });
    }

    [Test]
    public void Service_leaving_the_list_publishes_a_removed_change()
    {
        _store.Apply([Set(1, "api", "web"), Read("api", 2, Entry("n1", "api-1", service: "api")), Read("web", 2, Entry("n1", "web-1"))]);

        _store.Apply([Set(3, "api")]);

        var (snapshot, diff) = _published.Last();
        var change = diff.Changes.Single();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Services.Keys, Is.EqualTo(new[] { "api" }));
            Assert.That(change.Service, Is.EqualTo("web"));
            Assert.That(change.Kind, Is.EqualTo(ServiceChangeKind.Removed));
            Assert.That(change.Removed.Select(i => i.Key), Is.EqualTo(new[] { new InstanceKey("n1", "web-1") }));
            Assert.That(_log.WithEvent("ServiceRemoved").Single().Fields(), Does.ContainKey("Service").WithValue("web"));
        });
    }

    [Test]
    public void Entries_for_a_service_not_in_the_list_are_ignored()
    {
        _store.Apply([Read("early", 1, Entry("n1", "early-1", service: "early"))]);
        _store.Apply([Set(2, "web"), Read("web", 3, Entry("n1", "web-1")), Read("stray", 3, Entry("n1", "stray-1", service: "stray"))]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Services.Keys, Is.EqualTo(new[] { "web" }));
            Assert.That(_published.SelectMany(p => p.Diff.Changes).Select(c => c.Service), Has.No.Member("stray").And.No.Member("early"));
        });
    }

    [Test]
    public void Late_entries_of_a_removed_service_do_not_bring_it_back()
    {
        _store.Apply([Set(1, "web"), Read("web", 2, Entry("n1", "web-1"))]);

        _store.Apply([Set(3), Read("web", 4, Entry("n1", "web-1"))]);

        Assert.That(_store.Current.Services, Is.Empty);
    }

    [Test]
    public void Service_listed_again_is_not_served_until_read_again()
    {
        _store.Apply([Set(1, "web"), Read("web", 2, Entry("n1", "web-1"))]);
        _store.Apply([Set(3)]);

        _store.Apply([Set(4, "web")]);

        Assert.That(_store.Current.Services, Is.Empty);
    }

    [Test]
    public void A_batch_of_events_is_published_once()
    {
        _store.Apply([Set(1, "api", "web"), Read("api", 2, Entry("n1", "api-1", service: "api")), Read("web", 2, Entry("n1", "web-1"))]);

        _store.Apply([Read("api", 5, Entry("n2", "api-1", service: "api")), Read("web", 5, Entry("n2", "web-1")), Read("web", 6, Entry("n3", "web-1"))]);

        var (snapshot, diff) = _published.Last();
        Assert.Multiple(() =>
        {
            Assert.That(_published, Has.Count.EqualTo(2));
            Assert.That(diff.Changes.Select(c => c.Service), Is.EquivalentTo(new[] { "api", "web" }));
            Assert.That(snapshot.Services["web"].Instances.Select(i => i.Key.Node), Is.EqualTo(new[] { "n3" }), "the last read of a batch wins");
        });
    }

    [Test]
    public void Availability_changes_are_recorded_without_publishing()
    {
        _store.Apply([Set(1, "web"), Read("web", 2, Entry("n1", "web-1"))]);

        _store.Apply([new ConsulAvailabilityChanged(false, "Consul /v1/catalog/services: HTTP 500")]);
        var whileDown = _store.ConsulAvailable;
        _store.Apply([new ConsulAvailabilityChanged(true, null)]);

        Assert.Multiple(() =>
        {
            Assert.That(whileDown, Is.False);
            Assert.That(_store.ConsulAvailable, Is.True);
            Assert.That(_published, Has.Count.EqualTo(1), "an outage alone changes nothing served");
            Assert.That(_store.Current.Services["web"].Instances, Has.Length.EqualTo(1), "the last good state stays");
        });
    }

    [Test]
    public void Consul_counts_as_reachable_only_once_its_service_list_has_answered()
    {
        // A daemon started from its state file while Consul is down: nothing has answered yet, and until the
        // watcher's first failure arrives nothing says so either. A load balancer must not see it as ready.
        var fresh = new CatalogStore(new FakeLogger<CatalogStore>());
        fresh.Apply([.. ConsulFeed.NoRouting()]);
        var beforeAnyAnswer = fresh.ConsulReachable;
        fresh.Apply([Set(1, "web")]);
        var listed = fresh.ConsulReachable;
        fresh.Apply([new ConsulReachabilityChanged(false)]);
        var lost = fresh.ConsulReachable;
        fresh.Apply([new ConsulReachabilityChanged(true)]);

        Assert.Multiple(() =>
        {
            Assert.That(beforeAnyAnswer, Is.False, "no answer yet");
            Assert.That(listed, Is.True, "the service list answered");
            Assert.That(lost, Is.False, "its reads fail");
            Assert.That(fresh.ConsulReachable, Is.True, "they answer again");
        });
    }

    [Test]
    public void Duplicate_instance_is_reported_with_its_service_and_key()
    {
        _store.Apply([Set(1, "web"), Read("web", 2, Entry("n1", "web-1", port: 1), Entry("n1", "web-1", port: 2))]);

        var entry = _log.WithEvent("DuplicateInstance").Single();
        Assert.Multiple(() =>
        {
            Assert.That(entry.Id.Id, Is.EqualTo(2005));
            Assert.That(entry.Fields(), Does.ContainKey("Service").WithValue("web").And.ContainKey("Instance").WithValue("n1/web-1"));
            Assert.That(_store.Current.Services["web"].Instances.Single().Port, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task RunAsync_applies_what_the_watcher_writes()
    {
        var channel = Channel.CreateUnbounded<ConsulEvent>();
        using var cts = new CancellationTokenSource();
        var run = _store.RunAsync(channel.Reader, cts.Token);

        await channel.Writer.WriteAsync(Set(1, "web"));
        await channel.Writer.WriteAsync(Read("web", 2, Entry("n1", "web-1")));
        await _store.Synced.WaitAsync(TimeSpan.FromSeconds(5));
        channel.Writer.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.That(_store.Current.Services["web"].Instances.Single().Key, Is.EqualTo(new InstanceKey("n1", "web-1")));
    }

    private static ServiceSetObserved Set(ulong index, params string[] services) =>
        new(ImmutableSortedSet.Create(StringComparer.Ordinal, services), index);

    private static ServiceEntriesObserved Read(string service, ulong index, params HealthServiceEntry[] entries) =>
        new(service, index, entries);
}
