using Bridge.Core.Consul;
using Bridge.Tests.Consul;
using static Bridge.Tests.Catalog.Entries;

namespace Bridge.Tests.Catalog;

/// <summary>
/// What one bad answer may not do: remove most of the catalog at once (held as suspect), keep every other service
/// from being served (the start-up bound), or cost more than the instances it cannot read.
/// </summary>
public sealed class CatalogGuardTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);
    private static readonly string[] Ten = [.. Enumerable.Range(0, 10).Select(i => $"svc{i}")];

    private FakeLogger<CatalogStore> _log = null!;
    private TimerWatchingClock _time = null!;
    private CatalogStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _log = new FakeLogger<CatalogStore>();
        _time = new TimerWatchingClock();
        _store = new CatalogStore(_log, new CatalogOptions { QuietPeriod = TimeSpan.Zero, MaxDelay = TimeSpan.Zero }, _time);
        _store.Apply([.. ConsulFeed.NoRouting()]);
    }

    private void Serve(params string[] services) =>
        _store.Apply([new ServiceSetObserved([.. services], 1), .. services.Select(s => Read(s, Entry("n1", s + "-1", service: s), Entry("n2", s + "-2", service: s)))]);

    private static ServiceEntriesObserved Read(string service, params HealthServiceEntry[] entries) => new(service, 2, entries);

    [Test]
    public void Answer_removing_most_services_is_held_and_everything_stays_served()
    {
        Serve(Ten);

        _store.Apply([new ServiceSetObserved([], 1)]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Services.Keys, Is.EqualTo(Ten.Order(StringComparer.Ordinal)), "a rebuilt Consul's empty answer removes nothing");
            Assert.That(_store.HeldRemoval, Is.Not.Null);
            Assert.That(_store.HeldRemoval!.Services, Has.Count.EqualTo(10));
            Assert.That(_store.HeldRemoval.Instances, Is.EqualTo(20));
            Assert.That(_store.Holding, Is.True, "the state file is not written while a removal is held");
            Assert.That(_store.Problems, Has.One.Contains("held as suspect"));
            var held = _log.WithEvent("RemovalHeld").Single();
            Assert.That(held.Fields()["Services"], Is.EqualTo("10"));
            Assert.That(held.Fields()["ServedServices"], Is.EqualTo("10"));
        });
    }

    [Test]
    public void Removal_below_the_threshold_applies_at_once()
    {
        Serve(Ten);

        _store.Apply([new ServiceSetObserved([.. Ten.Skip(5)], 2)]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Services.Keys, Is.EqualTo(Ten.Skip(5)), "5 of 10 is not more than half, nor more than 5");
            Assert.That(_store.HeldRemoval, Is.Null);
        });
    }

    [Test]
    public void Answer_removing_most_instances_of_the_catalog_is_held_instance_by_instance_while_other_changes_go_through()
    {
        var wide = Enumerable.Range(0, 30).Select(i => Entry($"n{i}", $"web-{i}")).ToArray();
        _store.Apply([new ServiceSetObserved(["api", "web"], 1), Read("web", wide), Read("api", Entry("n1", "api-1", service: "api"))]);

        // An operator's filter typo, a broken node-meta query: web keeps 2 of its 30 instances, and api's changes.
        _store.Apply([Read("web", wide[0], wide[1] with { Checks = [Check("critical", serviceId: "web-1")] }), Read("api", Entry("n7", "api-7", service: "api"))]);

        var web = _store.Current.Services["web"].Instances;
        Assert.Multiple(() =>
        {
            Assert.That(_store.HeldRemoval, Is.Not.Null);
            Assert.That(web, Has.Length.EqualTo(30), "every instance Consul left out is kept");
            Assert.That(web.Single(i => i.Key.ServiceId == "web-1").Health, Is.EqualTo(HealthState.Critical), "what Consul still lists is followed");
            Assert.That(_store.Current.Services["api"].Instances.Select(i => i.Key.ServiceId), Is.EqualTo(new[] { "api-1", "api-7" }));
        });
    }

    [Test]
    public void Held_removal_is_released_when_consul_lists_the_services_again()
    {
        Serve(Ten);
        _store.Apply([new ServiceSetObserved([], 1)]);

        // Consul answers again (its agents re-registered): the list, then each service's read.
        _store.Apply([new ServiceSetObserved([.. Ten], 3), .. Ten.Select(s => Read(s, Entry("n1", s + "-1", service: s), Entry("n2", s + "-2", service: s)))]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.HeldRemoval, Is.Null);
            Assert.That(_store.Current.Services.Keys, Is.EqualTo(Ten.Order(StringComparer.Ordinal)));
            Assert.That(_log.WithEvent("RemovalReleased").ToList(), Has.Count.EqualTo(1));
            Assert.That(_log.WithEvent("ServiceRemoved"), Is.Empty, "nothing was ever removed");
        });
    }

    [Test]
    public async Task Held_removal_consul_keeps_saying_is_applied_once_the_confirmation_time_has_passed()
    {
        var published = Channel.CreateUnbounded<CatalogSnapshot>();
        _store.UpdateOptions(_store.Options with { RemovalGuardConfirmAfter = TimeSpan.FromMinutes(5) });
        _store.Subscribe((snapshot, _) => published.Writer.TryWrite(snapshot));
        var events = Channel.CreateUnbounded<ConsulEvent>();
        using var cts = new CancellationTokenSource();
        var loop = _store.RunAsync(events.Reader, cts.Token);
        events.Writer.TryWrite(new ServiceSetObserved([.. Ten], 1));
        foreach (var s in Ten)
        {
            events.Writer.TryWrite(Read(s, Entry("n1", s + "-1", service: s), Entry("n2", s + "-2", service: s)));
        }

        while ((await published.Reader.ReadAsync().AsTask().WaitAsync(Patience)).Services.Count < 10)
        {
        }

        events.Writer.TryWrite(new ServiceSetObserved([], 1));
        await _time.WaitForTimerAsync(TimeSpan.FromMinutes(5));
        Assert.That(_store.HeldRemoval, Is.Not.Null);

        _time.Advance(TimeSpan.FromMinutes(5));
        var after = await published.Reader.ReadAsync().AsTask().WaitAsync(Patience);

        Assert.Multiple(() =>
        {
            Assert.That(after.Services, Is.Empty);
            Assert.That(_store.HeldRemoval, Is.Null);
            Assert.That(_log.WithEvent("RemovalApplied").Single().Fields()["ConfirmedBy"], Is.EqualTo("time"));
        });
        await cts.CancelAsync();
        Assert.That(async () => await loop, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task Operator_confirmation_applies_a_held_removal_at_once()
    {
        var published = Channel.CreateUnbounded<CatalogSnapshot>();
        _store.Subscribe((snapshot, _) => published.Writer.TryWrite(snapshot));
        Serve(Ten);
        _store.Apply([new ServiceSetObserved([], 1)]);
        var events = Channel.CreateUnbounded<ConsulEvent>();
        using var cts = new CancellationTokenSource();
        var loop = _store.RunAsync(events.Reader, cts.Token);

        var confirmed = _store.ConfirmHeldRemoval();
        var after = await published.Reader.ReadAllAsync().FirstAsync(s => s.Services.IsEmpty).AsTask().WaitAsync(Patience);

        Assert.Multiple(() =>
        {
            Assert.That(confirmed!.Services, Has.Count.EqualTo(10));
            Assert.That(after.Services, Is.Empty);
            Assert.That(_log.WithEvent("RemovalApplied").Single().Fields()["ConfirmedBy"], Is.EqualTo("operator"));
            Assert.That(_store.ConfirmHeldRemoval(), Is.Null, "nothing is held any more");
        });
        await cts.CancelAsync();
        Assert.That(async () => await loop, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Guard_turned_off_applies_every_removal()
    {
        _store.UpdateOptions(_store.Options with { RemovalGuard = false });
        Serve(Ten);

        _store.Apply([new ServiceSetObserved([], 1)]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Services, Is.Empty);
            Assert.That(_store.HeldRemoval, Is.Null);
        });
    }

    [Test]
    public void Restart_from_the_state_file_against_a_rebuilt_consul_keeps_serving_the_saved_catalog()
    {
        var saved = new CatalogStore(new FakeLogger<CatalogStore>());
        saved.Apply([.. ConsulFeed.NoRouting()]);
        saved.Apply([new ServiceSetObserved([.. Ten], 1), .. Ten.Select(s => Read(s, Entry("n1", s + "-1", service: s)))]);
        _store.LoadPersisted(saved.Current.Services, _time.GetUtcNow());

        // A Consul rebuilt from scratch answers index 1 and nothing.
        _store.Apply([new ServiceSetObserved([], 1)]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Services.Keys, Is.EqualTo(Ten.Order(StringComparer.Ordinal)));
            Assert.That(_store.HeldRemoval, Is.Not.Null);
        });
    }

    [Test]
    public async Task Service_consul_never_answers_for_does_not_hold_back_start_up_past_the_bound()
    {
        _store.UpdateOptions(_store.Options with { SyncTimeout = TimeSpan.FromSeconds(30) });
        var published = Channel.CreateUnbounded<CatalogSnapshot>();
        _store.Subscribe((snapshot, _) => published.Writer.TryWrite(snapshot));
        var events = Channel.CreateUnbounded<ConsulEvent>();
        using var cts = new CancellationTokenSource();
        var loop = _store.RunAsync(events.Reader, cts.Token);
        events.Writer.TryWrite(new ServiceSetObserved(["api", "poison", "web"], 1));
        events.Writer.TryWrite(Read("api", Entry("n1", "api-1", service: "api")));
        events.Writer.TryWrite(Read("web", Entry("n1", "web-1")));
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(30));
        Assert.That(_store.Synced.IsCompleted, Is.False);

        _time.Advance(TimeSpan.FromSeconds(30));
        await _store.Synced.WaitAsync(Patience);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Synced, Is.True);
            Assert.That(_store.Current.Services.Keys, Is.EqualTo(new[] { "api", "web" }));
            Assert.That(_store.Unread, Is.EqualTo(new[] { "poison" }));
            Assert.That(_store.Problems, Has.One.Contains("poison"));
            Assert.That(_log.WithEvent("SyncedWithoutSomeServices").Single().Fields()["Services"], Is.EqualTo("poison"));
        });

        // Once Consul answers for it, it joins and nothing is reported any more.
        events.Writer.TryWrite(Read("poison", Entry("n1", "poison-1", service: "poison")));
        await published.Reader.ReadAllAsync().FirstAsync(s => s.Services.ContainsKey("poison")).AsTask().WaitAsync(Patience);
        Assert.That(_store.Unread, Is.Empty);
        await cts.CancelAsync();
        Assert.That(async () => await loop, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Past_the_bound_a_service_consul_does_not_answer_for_is_served_from_the_state_file()
    {
        _store.LoadPersisted(
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new[]
            {
                KeyValuePair.Create("api", new CatalogService("api", 1, [.. InstanceFactory.Build("api", [Entry("n1", "api-old", service: "api")])])),
                KeyValuePair.Create("web", new CatalogService("web", 1, [.. InstanceFactory.Build("web", [Entry("n1", "web-old")])])),
            }),
            _time.GetUtcNow());
        _store.Apply([new ServiceSetObserved(["api", "web"], 5), Read("web", Entry("n1", "web-new"))]);
        Assert.That(_store.Current.Source, Is.EqualTo(CatalogSource.Persisted));

        _time.Advance(TimeSpan.FromMinutes(1));
        _store.Apply([]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Source, Is.EqualTo(CatalogSource.Consul), "what Consul answered for is current");
            Assert.That(_store.Current.Services["api"].Instances.Single().Key.ServiceId, Is.EqualTo("api-old"));
            Assert.That(_store.Current.Services["web"].Instances.Single().Key.ServiceId, Is.EqualTo("web-new"));
            Assert.That(_store.Unread, Is.EqualTo(new[] { "api" }));
        });
    }

    [Test]
    public void Held_acl_filtered_answers_are_reported_and_keep_the_state_file_unwritten()
    {
        Serve("web");

        _store.Apply([new AclHoldChanged(null, 3), new AclHoldChanged("web", 1)]);
        Assert.Multiple(() =>
        {
            Assert.That(_store.AclHeld, Is.EqualTo((3, 1)));
            Assert.That(_store.Holding, Is.True);
            Assert.That(_store.Problems, Has.Exactly(2).Contains("ACLs filtered"));
        });

        _store.Apply([new AclHoldChanged(null, 0), new AclHoldChanged("web", 0)]);
        Assert.Multiple(() =>
        {
            Assert.That(_store.Holding, Is.False);
            Assert.That(_store.Problems, Is.Empty);
        });
    }

    [Test]
    public void Unreadable_entries_are_listed_with_the_service_and_logged_once_however_often_consul_repeats_them()
    {
        var poison = new SkippedInstance("n9", "web-9", "Service.Meta.version", "2");
        _store.Apply([new ServiceSetObserved(["web"], 1), new ServiceEntriesObserved("web", 2, [Entry("n1", "web-1")]) { Skipped = [poison] }]);
        _store.Apply([new ServiceEntriesObserved("web", 3, [Entry("n1", "web-1"), Entry("n2", "web-2")]) { Skipped = [poison] }]);
        _store.Apply([new ServiceEntriesObserved("web", 4, [Entry("n1", "web-1"), Entry("n2", "web-2"), new HealthServiceEntry { Node = new ConsulNode { Node = "n3" } }]) { Skipped = [poison] }]);

        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Services["web"].Instances, Has.Length.EqualTo(2));
            Assert.That(_store.Current.Services["web"].LeftOut, Is.EqualTo(new[] { poison, new SkippedInstance("n3", "", "Service.ID", "(empty)") }));
            Assert.That(_log.WithEvent("InstanceLeftOut").Select(e => e.Fields()["ServiceId"]), Is.EqualTo(new[] { "web-9", "" }));
        });
    }

    [Test]
    public void Departed_services_are_remembered_in_order_forgotten_when_they_return_and_bounded()
    {
        Serve("a", "b", "c");
        _store.Apply([new ServiceSetObserved(["c"], 2)]);
        Assert.That(_store.Current.Departed.OrderBy(d => d.Value).Select(d => d.Key), Is.EqualTo(new[] { "a", "b" }));

        _store.Apply([new ServiceSetObserved(["a", "c"], 3), Read("a", Entry("n1", "a-1", service: "a"))]);
        Assert.That(_store.Current.Departed.Keys, Is.EqualTo(new[] { "b" }));

        var many = Enumerable.Range(0, CatalogSnapshot.MaxDeparted + 5).Select(i => $"gone{i:D5}").ToArray();
        _store.UpdateOptions(_store.Options with { RemovalGuard = false });
        _store.Apply([new ServiceSetObserved([.. many], 4), .. many.Select(s => Read(s, Entry("n1", s, service: s)))]);
        _store.Apply([new ServiceSetObserved([], 5)]);
        Assert.Multiple(() =>
        {
            Assert.That(_store.Current.Departed, Has.Count.EqualTo(CatalogSnapshot.MaxDeparted));
            Assert.That(_store.Current.Departed.ContainsKey("b"), Is.False, "the earliest to leave is forgotten first");
        });
    }
}
