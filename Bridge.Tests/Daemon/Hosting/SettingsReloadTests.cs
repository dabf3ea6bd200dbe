using Bridge.Daemon.Configuration;
using Bridge.Daemon.Hosting;
using Bridge.DevAgent;
using Bridge.DevAgent.Catalog;
using Grpc.Core;

namespace Bridge.Tests.Daemon.Hosting;

/// <summary>
/// A reload publishes a new settings snapshot through <see cref="SettingsMonitor"/>: what can change live is applied,
/// what needs a restart is named, and an invalid reload keeps the settings in force.
/// </summary>
[TestFixture]
public sealed class SettingsReloadTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private const int ConfigurationReloaded = 5101, ReloadRejected = 5102, NeedsRestart = 5103;

    private DirectoryInfo _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("bridge-reload-");

    [TearDown]
    public void DeleteDirectory() => _directory.Delete(recursive: true);

    [Test]
    public async Task A_reload_that_changes_nothing_publishes_nothing()
    {
        var (reloader, monitor, logs) = Reloader("""{ "Consul": { "IncludeServices": ["web", "api"] }, "Ads": { "ClientKindOverrides": { "n1": "grpc" } } }""");
        var changes = new List<SettingsChange>();
        using var subscription = monitor.OnChange((change, _) => Record(changes, change));

        Assert.That(await reloader.ReloadAsync("test"), Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(changes, Is.Empty, "the same lists and maps, bound again, are the same settings");
            Assert.That(logs.WithId(ConfigurationReloaded).Single().Fields()["Keys"], Is.EqualTo("none"));
            Assert.That(logs.WithId(NeedsRestart), Is.Empty);
        });
    }

    [Test]
    public async Task A_reload_hands_subscribers_both_snapshots_and_names_the_changed_keys()
    {
        var (reloader, monitor, logs) = Reloader("""{ "Consul": { "IncludeServices": ["web"] } }""");
        var started = monitor.Current;
        var changes = new List<SettingsChange>();
        using var subscription = monitor.OnChange((change, _) => Record(changes, change));

        Write("""{ "Consul": { "IncludeServices": ["web", "api"] }, "Xds": { "Warning": "Exclude" } }""");
        Assert.That(await reloader.ReloadAsync("test"), Is.True);

        var change = changes.Single();
        Assert.Multiple(() =>
        {
            Assert.That(change.Previous, Is.SameAs(started));
            Assert.That(change.Next, Is.SameAs(monitor.Current));
            Assert.That(change.Next.Consul.IncludeServices, Is.EqualTo(new[] { "web", "api" }));
            Assert.That(change.ChangedKeys, Is.EqualTo(new[] { "Consul:IncludeServices", "Xds:Warning" }));
            Assert.That(logs.WithId(ConfigurationReloaded).Single().Fields()["Keys"], Is.EqualTo("Consul:IncludeServices, Xds:Warning"));
            Assert.That(logs.WithId(NeedsRestart), Is.Empty, "both apply live");
        });
    }

    [Test]
    public async Task A_reload_names_each_changed_setting_that_needs_a_restart_until_the_file_says_the_starting_value_again()
    {
        var (reloader, monitor, logs) = Reloader("""{ "Consul": { "Wait": "00:05:00" } }""");
        var changes = new List<SettingsChange>();
        using var subscription = monitor.OnChange((change, _) => Record(changes, change));

        Write("""{ "Consul": { "Wait": "00:01:00" }, "Ads": { "Listen": "127.0.0.1:18001" }, "Xds": { "Warning": "Exclude" } }""");
        await reloader.ReloadAsync("test");
        Write("""{ "Consul": { "Wait": "00:01:00" }, "Ads": { "Listen": "127.0.0.1:18001" }, "Xds": { "Warning": "Healthy" } }""");
        await reloader.ReloadAsync("test");
        Write("""{ "Consul": { "Wait": "00:05:00" }, "Xds": { "Warning": "Healthy" } }""");
        await reloader.ReloadAsync("test");

        Assert.Multiple(() =>
        {
            Assert.That(logs.WithId(NeedsRestart).Select(e => e.Fields()["Keys"]), Is.EqualTo(new[] { "Consul:Wait, Ads:Listen", "Consul:Wait, Ads:Listen" }),
                "named at each reload while they differ from the start, and no longer once they are back");
            Assert.That(logs.WithId(NeedsRestart).First().Message, Does.Contain("Consul:Wait, Ads:Listen take effect only after a restart"));
            Assert.That(changes.Select(c => string.Join(", ", c.ChangedKeys)), Is.EqualTo(new[]
            {
                "Consul:Wait, Xds:Warning, Ads:Listen", "Xds:Warning", "Consul:Wait, Ads:Listen",
            }));
        });
    }

    [Test]
    public async Task An_invalid_reload_is_refused_by_key_and_the_settings_in_force_stay()
    {
        var (reloader, monitor, logs) = Reloader("""{ "Xds": { "Warning": "Exclude" } }""");
        var before = monitor.Current;
        var changes = new List<SettingsChange>();
        using var subscription = monitor.OnChange((change, _) => Record(changes, change));

        Write("""{ "Xds": { "Warning": "Sometimes" }, "Consul": { "IncludeService": ["web"] } }""");

        Assert.That(await reloader.ReloadAsync("test"), Is.False);
        Assert.Multiple(() =>
        {
            Assert.That(monitor.Current, Is.SameAs(before));
            Assert.That(changes, Is.Empty);
            Assert.That(logs.WithId(ReloadRejected).Select(e => e.Fields()["Key"]), Is.EquivalentTo(new[] { "Xds:Warning", "Consul:IncludeService" }));
            Assert.That(logs.WithId(ConfigurationReloaded), Is.Empty);
        });
    }

    [Test]
    public async Task Reload_applies_watch_filters_and_health_mapping_live_and_an_invalid_reload_changes_nothing()
    {
        await using var consul = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0" });
        consul.Catalog.RegisterCatalogEntry(new CatalogRegistration { Node = "n1", Address = "10.0.0.1", Service = new CatalogServiceRegistration { Id = "web-1", Service = "web", Port = 8080 } });
        consul.Catalog.RegisterCatalogEntry(new CatalogRegistration
        {
            Node = "n2",
            Address = "10.0.0.2",
            Service = new CatalogServiceRegistration { Id = "web-2", Service = "web", Port = 8080 },
            Checks = [new CatalogCheckRegistration { CheckId = "ttl", Name = "ttl", Status = "warning", ServiceId = "web-2" }],
        });
        consul.Catalog.RegisterCatalogEntry(new CatalogRegistration { Node = "n1", Address = "10.0.0.1", Service = new CatalogServiceRegistration { Id = "api-1", Service = "api", Port = 9090 } });

        var adsPort = FreePort.Next();
        var adminPort = FreePort.Next();
        string Config(string warning, string exclude) => $$"""
            { "Consul": { "Address": "{{consul.Address.ToString().TrimEnd('/')}}", "ExcludeServices": [{{exclude}}] },
              "Xds": { "Warning": "{{warning}}" },
              "Ads": { "Listen": "127.0.0.1:{{adsPort}}" },
              "Admin": { "Listen": "127.0.0.1:{{adminPort}}" } }
            """;
        await using var app = await StartAsync(Config("Healthy", ""));
        var reloader = app.Services.GetRequiredService<SettingsReloader>();
        var monitor = app.Services.GetRequiredService<SettingsMonitor>();
        using var channel = AdsChannels.Create(adsPort);
        await using var client = new AdsClient(channel, AdsNodes.Envoy("reloaded"));
        await client.SubscribeAsync(TypeUrls.Cluster, []);
        var clusters = await client.NextAsync(Wait);
        Assert.That(clusters.ResourceNames(), Does.Contain("api").And.Contain("web"));
        await client.AckAsync(clusters);
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        var web = await client.NextAsync(Wait);
        Assert.That(web.Assignments().Single().EndpointAddresses(), Is.EquivalentTo(new[] { "10.0.0.1:8080", "10.0.0.2:8080" }));
        await client.AckAsync(web);

        // An invalid value: refused, logged, nothing changes.
        Write(Config("Sometimes", "\"api\""));
        Assert.That(await reloader.ReloadAsync("test"), Is.False);
        Assert.That(monitor.Current.Xds.Warning, Is.EqualTo(WarningMapping.Healthy));

        // A valid one: the warning instance leaves web's endpoints, api leaves the catalog.
        Write(Config("Exclude", "\"api\""));
        Assert.That(await reloader.ReloadAsync("test"), Is.True);
        var deadline = DateTime.UtcNow + Wait;
        bool cdsWithoutApi = false, webWithoutWarning = false;
        while (!(cdsWithoutApi && webWithoutWarning) && DateTime.UtcNow < deadline)
        {
            var next = await client.NextAsync(Wait);
            if (next.TypeUrl == TypeUrls.Cluster)
            {
                cdsWithoutApi = !next.ResourceNames().Contains("api");
            }
            else if (next.TypeUrl == TypeUrls.ClusterLoadAssignment && next.Assignments().FirstOrDefault(a => a.ClusterName == "web") is { } assignment)
            {
                webWithoutWarning = assignment.EndpointAddresses().SequenceEqual(["10.0.0.1:8080"]);
            }

            await client.AckAsync(next);
        }

        Assert.Multiple(() =>
        {
            Assert.That(cdsWithoutApi, Is.True, "the new exclude filter removed api");
            Assert.That(webWithoutWarning, Is.True, "the new health mapping excluded the warning instance");
        });
    }

    [Test]
    public async Task Reload_applies_authorization_and_stream_limits_to_streams_opened_after_it()
    {
        await using var bridge = await AdsReloadBridge.StartAsync();
        var adsPort = bridge.AdsPort;
        string Config(string ads) => bridge.Config(ads);
        await using var app = await StartAsync(Config(""));
        var logs = app.Logs;
        var reloader = app.Services.GetRequiredService<SettingsReloader>();
        using var channel = AdsChannels.Create(adsPort);
        await using var open = new AdsClient(channel, AdsNodes.Envoy("db-1"));
        await open.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);

        Write(Config(""", "MaxStreamsPerPeer": 2, "Authorization": { "AllowedNodeIds": ["web-*"] }"""));
        Assert.That(await reloader.ReloadAsync("test"), Is.True);
        var refused = await CompletionOfNewStreamAsync(channel, "db-2");
        // A second stream from this address is within the new limit of two; a third is not.
        await using var allowed = new AdsClient(channel, AdsNodes.Envoy("web-1"));
        await allowed.SubscribeAsync(TypeUrls.Cluster, []);
        var served = await allowed.NextAsync(Wait);
        var overLimit = await CompletionOfNewStreamAsync(channel, "web-2");

        // The stream opened first, by a node no longer allowed, is still served.
        await open.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        var endpoints = await open.NextAsync(Wait);

        Assert.Multiple(() =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.PermissionDenied), refused.Detail);
            Assert.That(served.ResourceNames(), Does.Contain("web"));
            Assert.That(overLimit.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted), overLimit.Detail);
            Assert.That(overLimit.Detail, Does.Contain("Ads:MaxStreamsPerPeer"));
            Assert.That(logs.WithId(NeedsRestart), Is.Empty, "nothing in this reload waits for a restart");
            Assert.That(endpoints.Assignments().Single().ClusterName, Is.EqualTo("web"));
        });
    }

    [Test]
    public async Task Reload_of_the_max_stream_age_ends_streams_opened_after_it_and_leaves_open_ones_alone()
    {
        await using var bridge = await AdsReloadBridge.StartAsync();
        var adsPort = bridge.AdsPort;
        string Config(string ads) => bridge.Config(ads);
        await using var app = await StartAsync(Config(""));
        var reloader = app.Services.GetRequiredService<SettingsReloader>();
        using var channel = AdsChannels.Create(adsPort);
        await using var before = new AdsClient(channel, AdsNodes.Envoy("opened-before"));
        await before.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);

        Write(Config(""", "MaxStreamAge": "00:00:01" """));
        Assert.That(await reloader.ReloadAsync("test"), Is.True);
        Assert.That(app.Logs.WithId(ConfigurationReloaded).Last().Fields()["Keys"], Is.EqualTo("Ads:MaxStreamAge"));
        await using var after = new AdsClient(channel, AdsNodes.Envoy("opened-after"));
        await after.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);

        var ended = await after.Completion.WaitAsync(Wait);
        // The stream opened before the reload keeps its settings: it outlives the other and still answers.
        await before.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        var endpoints = await before.NextAsync(Wait);

        Assert.Multiple(() =>
        {
            Assert.That(Bridge.Tests.Ads.StreamAgeTests.EndedWithOk(ended), Is.True, $"{ended.StatusCode} {ended.Detail}");
            Assert.That(app.Logs.WithId(4012).Select(e => e.Field("NodeId")), Is.EqualTo(new[] { "opened-after" }));
            Assert.That(endpoints.Assignments().Single().ClusterName, Is.EqualTo("web"));
            Assert.That(before.Completion.IsCompleted, Is.False);
        });
    }

    /// <summary>A dev agent serving web, and a settings file's text naming it and two free ports, with extra <c>Ads</c> keys.</summary>
    private sealed class AdsReloadBridge(DevAgentServer consul, int adsPort, int adminPort) : IAsyncDisposable
    {
        public int AdsPort => adsPort;

        public static async Task<AdsReloadBridge> StartAsync()
        {
            var consul = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0" });
            consul.Catalog.RegisterCatalogEntry(new CatalogRegistration { Node = "n1", Address = "10.0.0.1", Service = new CatalogServiceRegistration { Id = "web-1", Service = "web", Port = 8080 } });
            return new AdsReloadBridge(consul, FreePort.Next(), FreePort.Next());
        }

        public string Config(string ads) => $$"""
            { "Consul": { "Address": "{{consul.Address.ToString().TrimEnd('/')}}" },
              "Ads": { "Listen": "127.0.0.1:{{adsPort}}"{{ads}} },
              "Admin": { "Listen": "127.0.0.1:{{adminPort}}" } }
            """;

        public ValueTask DisposeAsync() => consul.DisposeAsync();
    }

    private static async Task<Status> CompletionOfNewStreamAsync(Grpc.Net.Client.GrpcChannel channel, string nodeId)
    {
        await using var client = new AdsClient(channel, AdsNodes.Envoy(nodeId));
        try
        {
            await client.SubscribeAsync(TypeUrls.Cluster, []);
        }
        catch (RpcException)
        {
            // A stream refused at once may end before its first request is written; its status still says why.
        }

        return await client.Completion.WaitAsync(Wait);
    }

    private string ConfigFile => Path.Combine(_directory.FullName, "appsettings.json");

    private void Write(string json) => File.WriteAllText(ConfigFile, json);

    /// <summary>A reloader over a settings file, without a host: nothing subscribes but the test.</summary>
    private (SettingsReloader Reloader, SettingsMonitor Monitor, FakeLogCollector Logs) Reloader(string json)
    {
        Write(json);
        var configuration = ConfigurationSources.Build([], ConfigFile);
        var (settings, errors) = SettingsLoader.Load(configuration);
        Assert.That(errors, Is.Empty);
        var logs = new FakeLogCollector();
        var monitor = new SettingsMonitor(settings!);
        var reloader = new SettingsReloader(configuration, monitor, new FakeLogger<SettingsReloader>(logs));
        return (reloader, monitor, logs);
    }

    /// <summary>The daemon in this process over the settings file, which it watches as it watches /etc's.</summary>
    private async Task<InProcessBridge> StartAsync(string json)
    {
        Write(json);
        return await InProcessBridge.StartAsync(new InProcessBridgeOptions { Catalog = CatalogFeed.Address, SettingsFile = ConfigFile });
    }

    private static Task Record(List<SettingsChange> changes, SettingsChange change)
    {
        changes.Add(change);
        return Task.CompletedTask;
    }

}
