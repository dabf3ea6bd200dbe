using Bridge.Core;
using Bridge.Core.Consul;
using Bridge.Daemon.Hosting;

namespace Bridge.Tests.Daemon.Security;

/// <summary>
/// The Consul client as the daemon wires it (handler, TLS, server name, HTTP/2) against an HTTPS Consul stand-in.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class ConsulTlsTests
{
    [Test]
    public async Task Over_https_queries_go_as_http2_and_consul_is_verified_against_the_ca_file()
    {
        using var pki = new TestPki();
        await using var consul = await FakeConsulTls.StartAsync(pki.IssueServer());
        await using var bridge = Build(consul.Address, new() { ["Consul:CaFile"] = pki.CaFile, ["Consul:Token"] = "2c6d1e0f-consul-token" });

        var result = await bridge.Client.GetServicesAsync(new QueryOptions(0, TimeSpan.FromSeconds(1)), CancellationToken.None);

        Assert.That(result.Value.Keys, Is.EquivalentTo(new[] { "consul", "web" }));
        Assert.That(consul.Protocols, Is.All.EqualTo("HTTP/2"));
        Assert.That(consul.Tokens, Is.All.EqualTo("2c6d1e0f-consul-token"));
    }

    [Test]
    public async Task Concurrent_blocking_queries_share_one_connection_over_http2()
    {
        using var pki = new TestPki();
        await using var consul = await FakeConsulTls.StartAsync(pki.IssueServer());
        await using var bridge = Build(consul.Address, new() { ["Consul:CaFile"] = pki.CaFile });

        // Fifty blocking queries in flight at once: over HTTP/1.1 each would hold its own connection.
        var queries = Enumerable.Range(0, 50).Select(_ => bridge.Client.GetServicesAsync(new QueryOptions(5, TimeSpan.FromMilliseconds(500)), CancellationToken.None));
        await Task.WhenAll(queries);

        Assert.That(consul.Protocols, Has.Count.EqualTo(50).And.All.EqualTo("HTTP/2"));
        Assert.That(consul.Connections, Has.Count.EqualTo(1));
    }

    [Test]
    public void Over_https_the_query_slots_are_the_http2_limit()
    {
        var https = new ConsulOptions { Address = "https://consul:8501" };
        var http = new ConsulOptions { Address = "http://10.0.0.5:8500" };

        Assert.That(new ConnectionBudget(https, NullLogger<ConnectionBudget>.Instance).Slots.Capacity, Is.EqualTo(5000));
        Assert.That(https.RequestVersion, Is.EqualTo(new Version(2, 0)));
        Assert.That(https.Http1FallbackConnections, Is.EqualTo(128));
        Assert.That(new ConnectionBudget(http, NullLogger<ConnectionBudget>.Instance).Slots.Capacity, Is.EqualTo(180), "nine tenths of Consul's default 200, from one address");
        Assert.That(http.RequestVersion, Is.EqualTo(new Version(1, 1)));
    }

    [Test]
    public async Task A_consul_certificate_from_another_ca_is_refused()
    {
        using var pki = new TestPki();
        using var other = new TestPki("Other CA");
        await using var consul = await FakeConsulTls.StartAsync(other.IssueServer());
        await using var bridge = Build(consul.Address, new() { ["Consul:CaFile"] = pki.CaFile });

        var error = Assert.ThrowsAsync<ConsulException>(() => bridge.Client.GetServicesAsync(new QueryOptions(0, TimeSpan.FromSeconds(1)), CancellationToken.None));

        Assert.That(error!.Kind, Is.EqualTo(ConsulErrorKind.Unreachable));
        Assert.That(consul.Protocols, Is.Empty);
    }

    [Test]
    public async Task The_tls_server_name_is_sent_as_sni_and_is_the_name_the_certificate_must_carry()
    {
        using var pki = new TestPki();
        await using var consul = await FakeConsulTls.StartAsync(pki.IssueServer(dnsName: "consul.service.test", withIpAddresses: false));
        await using var named = Build(consul.Address, new() { ["Consul:CaFile"] = pki.CaFile, ["Consul:TlsServerName"] = "consul.service.test" });
        await using var unnamed = Build(consul.Address, new() { ["Consul:CaFile"] = pki.CaFile });

        var result = await named.Client.GetServicesAsync(new QueryOptions(0, TimeSpan.FromSeconds(1)), CancellationToken.None);
        var error = Assert.ThrowsAsync<ConsulException>(() => unnamed.Client.GetServicesAsync(new QueryOptions(0, TimeSpan.FromSeconds(1)), CancellationToken.None));

        Assert.That(result.Value, Is.Not.Empty);
        Assert.That(consul.ServerNames, Does.Contain("consul.service.test"));
        Assert.That(error!.Kind, Is.EqualTo(ConsulErrorKind.Unreachable), "the certificate does not name 127.0.0.1");
    }

    [Test]
    public async Task A_client_certificate_is_presented_when_consul_verifies_incoming_connections()
    {
        using var pki = new TestPki();
        var (cert, key) = pki.IssueClient("bridge", "consul-xds-bridge");
        await using var consul = await FakeConsulTls.StartAsync(pki.IssueServer(), clientCa: pki.Ca);
        await using var withCertificate = Build(consul.Address, new() { ["Consul:CaFile"] = pki.CaFile, ["Consul:CertFile"] = cert, ["Consul:KeyFile"] = key });
        await using var without = Build(consul.Address, new() { ["Consul:CaFile"] = pki.CaFile });

        var result = await withCertificate.Client.GetServicesAsync(new QueryOptions(0, TimeSpan.FromSeconds(1)), CancellationToken.None);
        var error = Assert.ThrowsAsync<ConsulException>(() => without.Client.GetServicesAsync(new QueryOptions(0, TimeSpan.FromSeconds(1)), CancellationToken.None));

        Assert.That(result.Value, Is.Not.Empty);
        Assert.That(error!.Kind, Is.EqualTo(ConsulErrorKind.Unreachable));
    }

    [Test]
    public async Task Insecure_skip_verify_accepts_an_unknown_certificate_and_warns_at_start()
    {
        using var other = new TestPki("Unknown CA");
        await using var consul = await FakeConsulTls.StartAsync(other.IssueServer(dnsName: "elsewhere.test", withIpAddresses: false));
        await using var bridge = Build(consul.Address, new() { ["Consul:InsecureSkipVerify"] = "true" });

        var result = await bridge.Client.GetServicesAsync(new QueryOptions(0, TimeSpan.FromSeconds(1)), CancellationToken.None);

        Assert.That(result.Value, Is.Not.Empty);
        var warning = bridge.Logs.WithId(5001).Single();
        Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warning.Field("Setting"), Is.EqualTo("Consul:InsecureSkipVerify"));
    }

    [Test]
    public async Task Consul_answering_https_over_http11_is_still_read_and_warned_about_once()
    {
        using var pki = new TestPki();
        await using var consul = await FakeConsulTls.StartAsync(pki.IssueServer(), http2: false);
        await using var bridge = Build(consul.Address, new() { ["Consul:CaFile"] = pki.CaFile });

        await bridge.Client.GetServicesAsync(new QueryOptions(0, TimeSpan.FromSeconds(1)), CancellationToken.None);
        await bridge.Client.GetServicesAsync(new QueryOptions(0, TimeSpan.FromSeconds(1)), CancellationToken.None);

        Assert.That(consul.Protocols, Is.All.EqualTo("HTTP/1.1"));
        var warning = bridge.Logs.WithId(5002).Single();
        Assert.That(warning.Field("Connections"), Is.EqualTo("128"));
        Assert.That(warning.Field("Limit"), Is.EqualTo("5000"));
        Assert.That(bridge.Connections.QuerySlots, Is.EqualTo(128), "queries beyond the connections would wait minutes for one; they take turns instead");
    }

    /// <summary>The daemon built but not started, reading Consul at <paramref name="address"/>: its Consul client goes through the transport the watcher's would.</summary>
    private static BuiltBridge Build(string address, Dictionary<string, string?> settings)
    {
        settings["Consul:Address"] = address;
        return new BuiltBridge(InProcessBridge.Build(new() { Catalog = CatalogFeed.Address, Settings = settings }));
    }

    private sealed class BuiltBridge(InProcessBridge bridge) : IAsyncDisposable
    {
        public ConsulClient Client { get; } = new(
            bridge.Services.GetRequiredService<IHttpClientFactory>().CreateClient(BridgeHost.ConsulHttpClient),
            bridge.Services.GetRequiredService<BridgePipeline>().Settings.Consul);

        public FakeLogCollector Logs => bridge.Logs;

        public ConsulConnections Connections => bridge.Services.GetRequiredService<ConsulConnections>();

        public ValueTask DisposeAsync() => bridge.DisposeAsync();
    }
}
