using Bridge.Core.Consul;
using Bridge.Core.Consul.ConfigEntries;
using static Bridge.Tests.Catalog.Entries;

namespace Bridge.Tests.Catalog;

[TestFixture]
public sealed class CatalogStateFileTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("bridge-state-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string StatePath => Path.Combine(_dir, "catalog.json");

    private static readonly string Identity = CatalogStateFile.IdentityOf(new ConsulOptions());
    private static readonly TimeSpan MaxAge = TimeSpan.FromDays(7);

    private static CatalogSnapshot SyncedCatalog()
    {
        var store = new CatalogStore(new FakeLogger<CatalogStore>());
        store.Apply([.. ConsulFeed.NoRouting()]);
        store.Apply([
            new ServiceSetObserved(["api", "web"], 7),
            new ServiceEntriesObserved("web", 8, [
                Entry("n1", "web-1", tags: ["b", "a"], weights: new ServiceWeights { Passing = 3, Warning = 1 }, nodeMeta: new Dictionary<string, string> { ["zone"] = "z1" }, meta: new Dictionary<string, string> { ["protocol"] = "grpc" }, checks: [Check("warning")]),
                Entry("n2", "web-2", nodeAddress: "10.0.0.2", port: 8081)]),
            new ServiceEntriesObserved("api", 9, []),
        ]);
        return store.Current;
    }

    [Test]
    public void Saved_catalog_loads_back_equal()
    {
        var catalog = SyncedCatalog();
        var file = new CatalogStateFile(StatePath, Identity, new FakeLogger());
        var savedAt = DateTimeOffset.UtcNow.AddHours(-1);

        file.Save(catalog, savedAt);
        var loaded = file.TryLoad(DateTimeOffset.UtcNow, MaxAge);

        Assert.That(loaded, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(loaded!.SavedAt, Is.EqualTo(savedAt));
            Assert.That(loaded.Services.Keys, Is.EqualTo(catalog.Services.Keys));
            foreach (var (name, service) in catalog.Services)
            {
                Assert.That(loaded.Services[name], Is.EqualTo(service), name);
            }
        });
    }

    [Test]
    public void Routing_is_saved_and_served_again_after_a_restart_until_consul_answers()
    {
        // web splits 90/10 to web-canary and resolves to its "stable" subset: a chain and a target read.
        var subset = new HealthQuery("web", "", "\"stable\" in Service.Tags");
        var before = new CatalogStore(new FakeLogger<CatalogStore>());
        before.Apply(
        [
            Entries(ConfigEntryKind.ServiceDefaults, """{"Kind":"service-defaults","Name":"web","Protocol":"http"}""", """{"Kind":"service-defaults","Name":"web-canary","Protocol":"http"}"""),
            Entries(ConfigEntryKind.ServiceSplitter, """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":90},{"Weight":10,"Service":"web-canary"}]}"""),
            Entries(ConfigEntryKind.ServiceResolver, """{"Kind":"service-resolver","Name":"web","DefaultSubset":"stable","Subsets":{"stable":{"Filter":"\"stable\" in Service.Tags"}}}"""),
            Entries(ConfigEntryKind.ServiceRouter),
            new LocalDatacenterObserved("dc1"),
            new ServiceSetObserved(["web", "web-canary"], 3),
            new ServiceEntriesObserved("web", 4, [Entry("n1", "web-1", tags: ["stable"]), Entry("n2", "web-2")]),
            new ServiceEntriesObserved("web-canary", 5, [Entry("n3", "web-canary-1", service: "web-canary")]),
            new TargetEntriesObserved(subset, 6, [Entry("n1", "web-1", tags: ["stable"])]),
        ]);
        Assert.That(before.Current.Routing.Chains.Keys, Does.Contain("web"), "the test's entries compile");
        var file = new CatalogStateFile(StatePath, Identity, new FakeLogger());
        file.Save(before.Current, DateTimeOffset.UtcNow);

        var saved = file.TryLoad(DateTimeOffset.UtcNow, MaxAge)!;
        var after = new CatalogStore(new FakeLogger<CatalogStore>());
        after.LoadPersisted(saved.Services, saved.SavedAt, saved.Departed, saved.Routing);
        // Consul answers for every service but not yet for routing: the saved routing is still what is served.
        after.Apply([new ServiceSetObserved(["web", "web-canary"], 7), new ServiceEntriesObserved("web", 8, [Entry("n1", "web-1", tags: ["stable"]), Entry("n2", "web-2")]), new ServiceEntriesObserved("web-canary", 9, [Entry("n3", "web-canary-1", service: "web-canary")])]);

        Assert.Multiple(() =>
        {
            Assert.That(after.Current.Routing.Chains, Is.EqualTo(before.Current.Routing.Chains));
            Assert.That(after.Current.Routing.Targets.Keys, Is.EqualTo(new[] { subset }));
            Assert.That(after.Current.Routing.Targets[subset].Instances, Is.EqualTo(before.Current.Routing.Targets[subset].Instances));
            Assert.That(after.Current.Source, Is.EqualTo(CatalogSource.Persisted), "routing restored from the file is not what Consul said in this process");
        });
    }

    private static ConfigEntriesObserved Entries(ConfigEntryKind kind, params string[] json) =>
        new(ConfigEntryDecoder.Decode(kind, System.Text.Encoding.UTF8.GetBytes($"[{string.Join(",", json)}]")), 1);

    [Test]
    public void Save_replaces_the_file_atomically_and_leaves_no_temporary_file()
    {
        var file = new CatalogStateFile(StatePath, Identity, new FakeLogger());
        File.WriteAllText(StatePath, "previous content");

        file.Save(SyncedCatalog(), DateTimeOffset.UtcNow);

        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EqualTo(new[] { "catalog.json" }));
        Assert.That(file.TryLoad(DateTimeOffset.UtcNow, MaxAge), Is.Not.Null);
    }

    // {H} stands for the version, identity and save time of a file this bridge would accept: only the rest is wrong.
    [TestCase("", TestName = "Empty_state_file_is_logged_and_ignored")]
    [TestCase("{H,\"Services\":[{\"Name\":\"web\",\"Index\":3,\"Instances\":[{\"Node\":\"n1\"", TestName = "Truncated_state_file_is_logged_and_ignored")]
    [TestCase("{H,\"Services\":[{\"Name\":\"web\",\"Index\":\"three\",\"Instances\":[]}]}", TestName = "Wrongly_typed_state_file_is_logged_and_ignored")]
    [TestCase("{\"Version\":99,\"SavedAt\":\"2026-11-27T12:00:00Z\",\"Services\":[]}", TestName = "State_file_of_another_format_version_is_logged_and_ignored")]
    [TestCase("{H,\"Services\":[{\"Name\":\"web\",\"Index\":1,\"Instances\":[{\"Port\":80}]}]}", TestName = "State_file_with_an_incomplete_instance_is_logged_and_ignored")]
    [TestCase("{H,\"Services\":[null]}", TestName = "State_file_with_a_null_service_is_logged_and_ignored")]
    [TestCase("{H,\"Services\":[{\"Name\":\"web\",\"Index\":1,\"Instances\":[null]}]}", TestName = "State_file_with_a_null_instance_is_logged_and_ignored")]
    [TestCase("{H,\"Services\":[{\"Name\":\"web\",\"Index\":1,\"Instances\":null}]}", TestName = "State_file_with_no_instance_list_is_logged_and_ignored")]
    [TestCase("{H,\"Services\":null}", TestName = "State_file_with_no_service_list_is_logged_and_ignored")]
    [TestCase("{H,\"Services\":[{\"Name\":\"web\",\"Index\":1,\"Instances\":[]},{\"Name\":\"web\",\"Index\":2,\"Instances\":[]}]}", TestName = "State_file_listing_a_service_twice_is_logged_and_ignored")]
    [TestCase("{H,\"Services\":[{\"Name\":\"web\",\"Index\":1,\"Instances\":[{\"Node\":\"n1\",\"ServiceId\":\"w\",\"Address\":\"10.0.0.1\",\"Port\":80,\"Health\":\"Sick\"}]}]}", TestName = "State_file_with_an_unknown_health_is_logged_and_ignored")]
    [TestCase("{H,\"Services\":[{\"Name\":\"web\",\"Index\":1,\"Instances\":[{\"Node\":\"n1\",\"ServiceId\":\"w\",\"Address\":\"10.0.0.1\",\"Port\":80,\"Health\":7}]}]}", TestName = "State_file_with_a_numeric_unknown_health_is_logged_and_ignored")]
    [TestCase("[]", TestName = "State_file_holding_an_array_is_logged_and_ignored")]
    [TestCase("null", TestName = "State_file_holding_null_is_logged_and_ignored")]
    [TestCase("\u0000\u0001garbage", TestName = "Garbage_state_file_is_logged_and_ignored")]
    public void Unusable_state_file_is_reported_and_ignored(string content)
    {
        File.WriteAllText(StatePath, content.Replace("{H,", "{" + Header(DateTimeOffset.UtcNow) + ",", StringComparison.Ordinal));
        var log = new FakeLogger();

        var loaded = new CatalogStateFile(StatePath, Identity, log).TryLoad(DateTimeOffset.UtcNow, MaxAge);

        Assert.That(loaded, Is.Null);
        var entry = log.WithEvent("StateFileUnusable").Single();
        Assert.That(entry.Fields()["Path"], Is.EqualTo(StatePath));
    }

    private static string Header(DateTimeOffset savedAt) =>
        $"\"Version\":{CatalogStateFile.FormatVersion},\"Identity\":{System.Text.Json.JsonSerializer.Serialize(Identity)},\"SavedAt\":\"{savedAt:o}\"";

    [Test]
    public void Any_damage_to_a_state_file_is_reported_and_never_thrown()
    {
        var file = new CatalogStateFile(StatePath, Identity, new FakeLogger());
        file.Save(SyncedCatalog(), DateTimeOffset.UtcNow);
        var good = File.ReadAllText(StatePath);
        var random = new Random(1234);

        // Every prefix cut at a random point, and every JSON value swapped for null or a value of another type.
        var damaged = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            damaged.Add(good[..random.Next(good.Length)]);
        }

        foreach (System.Text.RegularExpressions.Match value in System.Text.RegularExpressions.Regex.Matches(good, "(?<=:)(\"[^\"]*\"|-?\\d+|true|false|\\[\\]|\\{\\})"))
        {
            foreach (var replacement in new[] { "null", "\"x\"", "-1", "[null]", "{}" })
            {
                damaged.Add(good[..value.Index] + replacement + good[(value.Index + value.Length)..]);
            }
        }

        foreach (var content in damaged)
        {
            File.WriteAllText(StatePath, content);
            SavedCatalog? loaded = null;
            Assert.That(() => loaded = file.TryLoad(DateTimeOffset.UtcNow, MaxAge), Throws.Nothing, content);
            if (loaded is not null)
            {
                Assert.That(loaded.Services.Values.SelectMany(s => s.Instances).All(i => i.Key.Node.Length > 0 && i.Key.ServiceId.Length > 0), content);
            }
        }
    }

    [Test]
    public void State_file_from_another_consul_or_datacenter_or_filters_is_ignored_and_says_both()
    {
        new CatalogStateFile(StatePath, Identity, new FakeLogger()).Save(SyncedCatalog(), DateTimeOffset.UtcNow);

        foreach (var other in new[]
        {
            new ConsulOptions { Address = "http://10.9.9.9:8500" },
            new ConsulOptions { Datacenter = "dc2" },
            new ConsulOptions { IncludeServices = ["web"] },
            new ConsulOptions { ExcludeTags = ["canary"] },
        })
        {
            var log = new FakeLogger();
            var otherIdentity = CatalogStateFile.IdentityOf(other);
            Assert.That(new CatalogStateFile(StatePath, otherIdentity, log).TryLoad(DateTimeOffset.UtcNow, MaxAge), Is.Null, otherIdentity);
            var reason = log.WithEvent("StateFileUnusable").Single().Fields()["Reason"];
            Assert.That(reason, Does.Contain(Identity).And.Contain(otherIdentity));
        }
    }

    [Test]
    public void Identity_does_not_depend_on_how_the_address_is_spelled_or_the_filters_ordered()
    {
        Assert.That(
            CatalogStateFile.IdentityOf(new ConsulOptions { Address = "HTTP://LocalHost:8500/", IncludeServices = ["b", "a"] }),
            Is.EqualTo(CatalogStateFile.IdentityOf(new ConsulOptions { Address = "http://localhost:8500", IncludeServices = ["a", "b"] })));
    }

    [Test]
    public void State_file_older_than_the_maximum_age_is_ignored()
    {
        var file = new CatalogStateFile(StatePath, Identity, new FakeLogger());
        var savedAt = DateTimeOffset.UtcNow.AddDays(-2);
        file.Save(SyncedCatalog(), savedAt);
        var log = new FakeLogger();

        Assert.Multiple(() =>
        {
            Assert.That(new CatalogStateFile(StatePath, Identity, log).TryLoad(DateTimeOffset.UtcNow, TimeSpan.FromDays(1)), Is.Null);
            Assert.That(log.WithEvent("StateFileUnusable").Single().Fields()["Reason"], Does.Contain("State:MaxAge"));
            Assert.That(file.TryLoad(DateTimeOffset.UtcNow, TimeSpan.FromDays(3)), Is.Not.Null);
        });
    }

    [Test]
    public void Departed_services_are_saved_and_loaded_back_in_the_order_they_left()
    {
        var store = new CatalogStore(new FakeLogger<CatalogStore>());
        store.Apply([.. ConsulFeed.NoRouting()]);
        store.Apply([new ServiceSetObserved(["a", "b", "c"], 1), .. new[] { "a", "b", "c" }.Select(n => new ServiceEntriesObserved(n, 1, [Entry("n1", n + "-1", service: n)]))]);
        store.Apply([new ServiceSetObserved(["a", "c"], 2)]);
        store.Apply([new ServiceSetObserved(["c"], 3)]);
        var file = new CatalogStateFile(StatePath, Identity, new FakeLogger());

        file.Save(store.Current, DateTimeOffset.UtcNow);
        var loaded = file.TryLoad(DateTimeOffset.UtcNow, MaxAge)!;

        Assert.That(loaded.Departed.OrderBy(d => d.Value).Select(d => d.Key), Is.EqualTo(new[] { "b", "a" }));
    }

    [Test]
    public void Missing_state_file_is_no_error()
    {
        var log = new FakeLogger();
        Assert.That(new CatalogStateFile(StatePath, Identity, log).TryLoad(DateTimeOffset.UtcNow, MaxAge), Is.Null);
        Assert.That(log.Entries(), Is.Empty);
    }

    [Test]
    public void Loaded_state_is_served_as_stale_until_every_service_is_read_from_consul_again()
    {
        var file = new CatalogStateFile(StatePath, Identity, new FakeLogger());
        file.Save(SyncedCatalog(), DateTimeOffset.UtcNow.AddMinutes(-3));
        var loaded = file.TryLoad(DateTimeOffset.UtcNow, MaxAge)!;
        var store = new CatalogStore(new FakeLogger<CatalogStore>());
        store.Apply([.. ConsulFeed.NoRouting()]);

        store.LoadPersisted(loaded.Services, loaded.SavedAt);
        Assert.Multiple(() =>
        {
            Assert.That(store.Current.Synced, Is.True, "a full saved catalog may be served");
            Assert.That(store.Current.Source, Is.EqualTo(CatalogSource.Persisted));
            Assert.That(store.StaleSince, Is.EqualTo(loaded.SavedAt));
        });

        // Consul lists the same services; only web has been read so far: still stale, and api keeps its saved state.
        store.Apply([new ServiceSetObserved(["api", "web"], 20), new ServiceEntriesObserved("web", 21, [Entry("n1", "web-1")])]);
        Assert.That(store.Current.Source, Is.EqualTo(CatalogSource.Persisted));
        Assert.That(store.Current.Services.ContainsKey("api"), Is.True);

        store.Apply([new ServiceEntriesObserved("api", 22, [Entry("n3", "api-1", service: "api")])]);
        Assert.Multiple(() =>
        {
            Assert.That(store.Current.Source, Is.EqualTo(CatalogSource.Consul));
            Assert.That(store.StaleSince, Is.Null);
            Assert.That(store.Synced.IsCompleted, Is.True);
        });
    }

    [Test]
    public void Persister_writes_only_catalogs_read_from_consul_and_the_newest_one_wins()
    {
        var store = new CatalogStore(new FakeLogger<CatalogStore>());
        store.Apply([.. ConsulFeed.NoRouting()]);
        var file = new CatalogStateFile(StatePath, Identity, new FakeLogger());
        var persister = new CatalogPersister(file, store, TimeSpan.FromMilliseconds(1), TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var running = persister.RunAsync(cts.Token);

        store.LoadPersisted(SyncedCatalog().Services, DateTimeOffset.UtcNow);
        store.Apply([new ServiceSetObserved(["web"], 30)]);
        Assert.That(File.Exists(StatePath), Is.False, "a state loaded from the file is never written back as fresh");

        store.Apply([new ServiceEntriesObserved("web", 31, [Entry("n9", "web-9")])]);
        cts.Cancel();
        Assert.That(async () => await running, Throws.Nothing);

        var saved = file.TryLoad(DateTimeOffset.UtcNow, MaxAge);
        Assert.That(saved, Is.Not.Null);
        Assert.That(saved!.Services["web"].Instances.Select(i => i.Key.ServiceId), Is.EqualTo(new[] { "web-9" }));
        Assert.That(saved.Services.ContainsKey("api"), Is.False);
    }
}
