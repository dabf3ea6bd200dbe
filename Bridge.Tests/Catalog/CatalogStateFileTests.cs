using System.Collections.Immutable;
using Bridge.Core.Catalog;
using Bridge.Core.Consul;
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

    private static CatalogSnapshot SyncedCatalog()
    {
        var store = new CatalogStore(new CapturingLogger<CatalogStore>());
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
        var file = new CatalogStateFile(StatePath, new CapturingLogger());
        var savedAt = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

        file.Save(catalog, savedAt);
        var loaded = file.TryLoad();

        Assert.That(loaded, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(loaded!.Value.SavedAt, Is.EqualTo(savedAt));
            Assert.That(loaded.Value.Services.Keys, Is.EqualTo(catalog.Services.Keys));
            foreach (var (name, service) in catalog.Services)
            {
                Assert.That(loaded.Value.Services[name], Is.EqualTo(service), name);
            }
        });
    }

    [Test]
    public void Save_replaces_the_file_atomically_and_leaves_no_temporary_file()
    {
        var file = new CatalogStateFile(StatePath, new CapturingLogger());
        File.WriteAllText(StatePath, "previous content");

        file.Save(SyncedCatalog(), DateTimeOffset.UtcNow);

        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EqualTo(new[] { "catalog.json" }));
        Assert.That(file.TryLoad(), Is.Not.Null);
    }

    [TestCase("", TestName = "Empty_state_file_is_logged_and_ignored")]
    [TestCase("{\"Version\":1,\"SavedAt\":\"2026-11-27T12:00:00Z\",\"Services\":[{\"Name\":\"web\",\"Index\":3,\"Instances\":[{\"Node\":\"n1\"", TestName = "Truncated_state_file_is_logged_and_ignored")]
    [TestCase("{\"Version\":1,\"SavedAt\":\"2026-11-27T12:00:00Z\",\"Services\":[{\"Name\":\"web\",\"Index\":\"three\",\"Instances\":[]}]}", TestName = "Wrongly_typed_state_file_is_logged_and_ignored")]
    [TestCase("{\"Version\":99,\"SavedAt\":\"2026-11-27T12:00:00Z\",\"Services\":[]}", TestName = "State_file_of_another_format_version_is_logged_and_ignored")]
    [TestCase("{\"Version\":1,\"SavedAt\":\"2026-11-27T12:00:00Z\",\"Services\":[{\"Name\":\"web\",\"Index\":1,\"Instances\":[{\"Port\":80}]}]}", TestName = "State_file_with_an_incomplete_instance_is_logged_and_ignored")]
    [TestCase("\u0000\u0001garbage", TestName = "Garbage_state_file_is_logged_and_ignored")]
    public void Unusable_state_file_is_reported_and_ignored(string content)
    {
        File.WriteAllText(StatePath, content);
        var log = new CapturingLogger();

        var loaded = new CatalogStateFile(StatePath, log).TryLoad();

        Assert.That(loaded, Is.Null);
        var entry = log.WithEvent("StateFileUnusable").Single();
        Assert.That(entry.Fields["Path"], Is.EqualTo(StatePath));
    }

    [Test]
    public void Missing_state_file_is_no_error()
    {
        var log = new CapturingLogger();
        Assert.That(new CatalogStateFile(StatePath, log).TryLoad(), Is.Null);
        Assert.That(log.Entries, Is.Empty);
    }

    [Test]
    public void Loaded_state_is_served_as_stale_until_every_service_is_read_from_consul_again()
    {
        var file = new CatalogStateFile(StatePath, new CapturingLogger());
        file.Save(SyncedCatalog(), DateTimeOffset.UtcNow.AddMinutes(-3));
        var loaded = file.TryLoad()!.Value;
        var store = new CatalogStore(new CapturingLogger<CatalogStore>());

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
        var store = new CatalogStore(new CapturingLogger<CatalogStore>());
        var file = new CatalogStateFile(StatePath, new CapturingLogger());
        var persister = new CatalogPersister(file, store, TimeSpan.FromMilliseconds(1), TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var running = persister.RunAsync(cts.Token);

        store.LoadPersisted(SyncedCatalog().Services, DateTimeOffset.UtcNow);
        store.Apply([new ServiceSetObserved(["web"], 30)]);
        Assert.That(File.Exists(StatePath), Is.False, "a state loaded from the file is never written back as fresh");

        store.Apply([new ServiceEntriesObserved("web", 31, [Entry("n9", "web-9")])]);
        cts.Cancel();
        Assert.That(async () => await running, Throws.Nothing);

        var saved = file.TryLoad();
        Assert.That(saved, Is.Not.Null);
        Assert.That(saved!.Value.Services["web"].Instances.Select(i => i.Key.ServiceId), Is.EqualTo(new[] { "web-9" }));
        Assert.That(saved.Value.Services.ContainsKey("api"), Is.False);
    }
}
