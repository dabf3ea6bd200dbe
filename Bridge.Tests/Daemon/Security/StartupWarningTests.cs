using Bridge.Core.Consul;
using Bridge.Daemon.Configuration;
using Bridge.Daemon.Security;

namespace Bridge.Tests.Daemon.Security;

/// <summary>What the daemon says at start about how it is protected.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class StartupWarningTests
{
    private const int ConsulVerificationDisabled = 5001;
    private const int ConsulTokenInCleartext = 5003;
    private const int ConsulTlsSettingsUnused = 5004;
    private const int AdsOpenToNetwork = 5005;
    private const int AdsRulesUnauthenticated = 5006;
    private const int AdminOpenToNetwork = 5007;
    private const int AdsSecurity = 5008;
    private const int ConsulTransport = 5009;

    private static readonly int[] Warnings = [ConsulVerificationDisabled, ConsulTokenInCleartext, ConsulTlsSettingsUnused, AdsOpenToNetwork, AdsRulesUnauthenticated, AdminOpenToNetwork];

    [Test]
    public void The_defaults_warn_about_nothing_and_say_how_ads_and_consul_are_reached()
    {
        var logs = Report(new());

        Assert.That(logs.GetSnapshot().Where(e => Warnings.Contains(e.Id.Id)), Is.Empty);
        Assert.That(logs.WithId(AdsSecurity).Single().Message, Is.EqualTo("ADS on 127.0.0.1:18000: plaintext, no client certificates, no authorization"));
        Assert.That(logs.WithId(ConsulTransport).Single().Message, Is.EqualTo("Consul at http://127.0.0.1:8500: plain HTTP/1.1 from up to 253 local addresses (127.0.0.2 to 127.0.0.254), up to 45540 queries in flight, ACL token none"));
    }

    [TestCase("0.0.0.0:18000")]
    [TestCase("[::]:18000")]
    [TestCase("10.0.0.5:18000")]
    public void Ads_on_a_network_address_without_authentication_warns(string listen)
    {
        var logs = Report(new() { ["Ads:Listen"] = listen });

        var warning = logs.WithId(AdsOpenToNetwork).Single();
        Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warning.Field("Listen"), Is.EqualTo(listen));
    }

    [Test]
    public void Ads_on_a_network_address_with_only_node_rules_warns_that_they_prove_nothing()
    {
        var logs = Report(new() { ["Ads:Listen"] = "0.0.0.0:18000", ["Ads:Authorization:AllowedNodeIds:0"] = "web-*" });

        Assert.That(logs.WithId(AdsOpenToNetwork), Is.Empty);
        Assert.That(logs.WithId(AdsRulesUnauthenticated).Single().Level, Is.EqualTo(LogLevel.Warning));
    }

    [Test]
    public void Ads_on_a_network_address_with_tokens_or_client_certificates_does_not_warn()
    {
        using var pki = new TestPki();
        var (cert, key) = pki.IssueServer();

        var withTokens = Report(new() { ["Ads:Listen"] = "0.0.0.0:18000", ["Ads:Authorization:Tokens:0"] = "4e1f0c9b-2a7d-4b3e-8f6a-1c5d9e2b7a40" });
        var withMtls = Report(new() { ["Ads:Listen"] = "0.0.0.0:18000", ["Ads:TlsCertFile"] = cert, ["Ads:TlsKeyFile"] = key, ["Ads:ClientCaFile"] = pki.CaFile });

        Assert.That(withTokens.GetSnapshot().Where(e => Warnings.Contains(e.Id.Id)), Is.Empty);
        Assert.That(withMtls.GetSnapshot().Where(e => Warnings.Contains(e.Id.Id)), Is.Empty);
        Assert.That(withTokens.WithId(AdsSecurity).Single().Field("Authorization"), Is.EqualTo("authorization by 1 token(s)"));
        Assert.That(withMtls.WithId(AdsSecurity).Single().Field("ClientCertificates"), Does.StartWith("client certificates required"));
    }

    [Test]
    public void Admin_on_a_network_address_warns()
    {
        var logs = Report(new() { ["Admin:Listen"] = "0.0.0.0:19000" });

        var warning = logs.WithId(AdminOpenToNetwork).Single();
        Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warning.Message, Does.Contain("0.0.0.0:19000").And.Contain("/debug/"));
    }

    [Test]
    public void Skipping_verification_through_consul_http_ssl_verify_warns_naming_the_variable()
    {
        var logs = Report(new() { ["Consul:Address"] = "https://consul:8501" }, new() { ["CONSUL_HTTP_SSL_VERIFY"] = "false" });

        Assert.That(logs.WithId(ConsulVerificationDisabled).Single().Field("Setting"), Is.EqualTo("CONSUL_HTTP_SSL_VERIFY=false"));
        Assert.That(logs.WithId(ConsulTransport).Single().Field("Transport"), Does.Contain("NOT verified"));
    }

    [Test]
    public void A_token_sent_over_plain_http_beyond_this_machine_warns_and_the_transport_line_names_its_source_only()
    {
        const string token = "77aa2b1c-3d4e-4f50-a1b2-c3d4e5f60718";
        var remote = Report(new() { ["Consul:Address"] = "http://10.0.0.7:8500" }, new() { ["CONSUL_HTTP_TOKEN"] = token });
        var local = Report(new() { ["Consul:Address"] = "http://localhost:8500", ["Consul:Token"] = token });

        Assert.That(remote.WithId(ConsulTokenInCleartext).Single().Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(remote.WithId(ConsulTransport).Single().Field("Token"), Is.EqualTo("from CONSUL_HTTP_TOKEN"));
        Assert.That(local.WithId(ConsulTokenInCleartext), Is.Empty);
        Assert.That(remote.AllText() + local.AllText(), Does.Not.Contain(token));
    }

    [Test]
    public void Tls_files_configured_for_a_plain_http_consul_are_reported_unused()
    {
        var configured = Report(new() { ["Consul:Address"] = "http://127.0.0.1:8500", ["Consul:CaFile"] = "/etc/consul/ca.pem" });
        var fromEnvironment = Report(new() { ["Consul:Address"] = "http://127.0.0.1:8500" }, new() { ["CONSUL_CACERT"] = "/etc/consul/ca.pem" });

        Assert.That(configured.WithId(ConsulTlsSettingsUnused).Single().Field("Settings"), Is.EqualTo("Consul:CaFile"));
        Assert.That(fromEnvironment.WithId(ConsulTlsSettingsUnused), Is.Empty, "CONSUL_* variables set for the CLI are ignored over HTTP, as Consul's tools do");
    }

    private static FakeLogCollector Report(Dictionary<string, string?> values, Dictionary<string, string?>? environment = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var (settings, errors) = SettingsLoader.Load(configuration, name => environment?.GetValueOrDefault(name));
        Assert.That(errors, Is.Empty);
        var logs = CollectedLogs.Everything();
        SecurityPosture.Report(new FakeLogger(logs, SecurityLog.Category), settings!, ConsulConnections.Create(settings!.Consul, NullLoggerFactory.Instance));
        return logs;
    }
}
