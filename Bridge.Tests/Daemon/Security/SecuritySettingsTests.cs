using Bridge.Daemon.Configuration;

namespace Bridge.Tests.Daemon.Security;

/// <summary>Security settings as loaded at start: CONSUL_* variables, token files, certificate files, authorization.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class SecuritySettingsTests
{
    private const string Token = "9a1c7e52-3f0b-4d6a-8e2c-b5d4f7a9c1e3";

    [Test]
    public void Consul_http_addr_applies_when_only_the_shipped_defaults_name_an_address()
    {
        using var pki = new TestPki();
        pki.Write("appsettings.json", """{ "Consul": { "Address": "http://127.0.0.1:8500", "Token": "" } }""");
        var configuration = new ConfigurationBuilder().Add(DefaultsFileSource.Beside(pki.Directory)).Build();

        var settings = LoadFrom(configuration, new() { ["CONSUL_HTTP_ADDR"] = "10.1.2.3:8500", ["CONSUL_HTTP_TOKEN"] = Token });

        Assert.That(settings.Consul.Address, Is.EqualTo("http://10.1.2.3:8500"));
        Assert.That(settings.Consul.Token, Is.EqualTo(Token));
        Assert.That(settings.ConsulSources["Address"], Is.EqualTo("CONSUL_HTTP_ADDR"));
    }

    [Test]
    public void The_shipped_defaults_load_with_tls_off_no_token_and_no_authorization_and_leave_room_for_consul_variables()
    {
        var configuration = new ConfigurationBuilder().Add(DefaultsFileSource.Beside(AppContext.BaseDirectory)).Build();
        Assert.That(configuration["Consul:MaxConcurrentQueriesHttp2"], Is.EqualTo("5000"), "the shipped appsettings.json was found");

        var plain = LoadFrom(configuration);
        var withVariables = LoadFrom(configuration, new() { ["CONSUL_HTTP_SSL"] = "true", ["CONSUL_HTTP_SSL_VERIFY"] = "false", ["CONSUL_TLS_SERVER_NAME"] = "consul.test" });

        Assert.That(plain.Consul.Token, Is.Null);
        Assert.That(plain.Consul.UsesTls, Is.False);
        Assert.That(plain.AdsTls.Enabled, Is.False);
        Assert.That(plain.AdsAuthorization.IsEmpty, Is.True);
        Assert.That(withVariables.Consul.Address, Is.EqualTo("https://127.0.0.1:8500"));
        Assert.That(withVariables.Consul.InsecureSkipVerify, Is.True);
        Assert.That(withVariables.Consul.TlsServerName, Is.EqualTo("consul.test"));
    }

    [Test]
    public void The_bridge_configuration_wins_over_consul_variables()
    {
        var settings = Load(new()
        {
            ["Consul:Address"] = "https://consul.internal:8501",
            ["Consul:Token"] = Token,
            ["Consul:InsecureSkipVerify"] = "false",
        }, new() { ["CONSUL_HTTP_ADDR"] = "10.1.2.3:8500", ["CONSUL_HTTP_TOKEN"] = "from-the-environment", ["CONSUL_HTTP_SSL_VERIFY"] = "false" });

        Assert.That(settings.Consul.Address, Is.EqualTo("https://consul.internal:8501"));
        Assert.That(settings.Consul.Token, Is.EqualTo(Token));
        Assert.That(settings.Consul.InsecureSkipVerify, Is.False);
    }

    [TestCase("true", null, "https://127.0.0.1:8500")]
    [TestCase("1", "10.0.0.9:8501", "https://10.0.0.9:8501")]
    [TestCase("T", "http://10.0.0.9:8501", "https://10.0.0.9:8501")]
    [TestCase("false", "10.0.0.9:8500", "http://10.0.0.9:8500")]
    public void Consul_http_ssl_makes_the_address_https_as_consuls_client_does(string ssl, string? addr, string expected)
    {
        var settings = Load(new(), new() { ["CONSUL_HTTP_SSL"] = ssl, ["CONSUL_HTTP_ADDR"] = addr });

        Assert.That(settings.Consul.Address, Is.EqualTo(expected));
        Assert.That(settings.Consul.UsesTls, Is.EqualTo(expected.StartsWith("https", StringComparison.Ordinal)));
    }

    [Test]
    public void An_unparsable_consul_variable_is_an_error_not_a_guess()
    {
        var errors = Errors(new(), new() { ["CONSUL_HTTP_SSL"] = "yes", ["CONSUL_HTTP_SSL_VERIFY"] = "flase" });

        Assert.That(errors, Has.Some.StartsWith("CONSUL_HTTP_SSL: 'yes' is not accepted"));
        Assert.That(errors, Has.Some.StartsWith("CONSUL_HTTP_SSL_VERIFY: 'flase' is not accepted"));
    }

    [Test]
    public void Consul_tls_variables_supply_what_the_configuration_leaves_unset()
    {
        using var pki = new TestPki();
        var (cert, key) = pki.IssueClient();

        var settings = Load(new() { ["Consul:Address"] = "https://127.0.0.1:8501", ["Consul:TlsServerName"] = "consul.configured" }, new()
        {
            ["CONSUL_CACERT"] = pki.CaFile,
            ["CONSUL_CLIENT_CERT"] = cert,
            ["CONSUL_CLIENT_KEY"] = key,
            ["CONSUL_TLS_SERVER_NAME"] = "consul.from-environment",
            ["CONSUL_HTTP_SSL_VERIFY"] = "0",
        });

        Assert.That(settings.Consul.CaFile, Is.EqualTo(pki.CaFile));
        Assert.That(settings.Consul.CertFile, Is.EqualTo(cert));
        Assert.That(settings.Consul.KeyFile, Is.EqualTo(key));
        Assert.That(settings.Consul.TlsServerName, Is.EqualTo("consul.configured"));
        Assert.That(settings.Consul.InsecureSkipVerify, Is.True);
        Assert.That(settings.ConsulSources["CaFile"], Is.EqualTo("CONSUL_CACERT"));
        Assert.That(settings.ConsulSources.ContainsKey("TlsServerName"), Is.False);
    }

    [Test]
    public void The_token_file_is_read_and_trimmed_at_load()
    {
        using var pki = new TestPki();
        var file = pki.Write("consul-token", $"  {Token}\n");

        var settings = Load(new() { ["Consul:TokenFile"] = file });

        Assert.That(settings.Consul.Token, Is.EqualTo(Token));
        Assert.That(settings.Consul.TokenFile, Is.EqualTo(file));
        Assert.That(settings.ConsulSources["Token"], Is.EqualTo("Consul:TokenFile"));
    }

    [Test]
    public void Consul_http_token_file_wins_over_consul_http_token_as_in_consuls_client()
    {
        using var pki = new TestPki();
        var file = pki.Write("consul-token", Token);

        var settings = Load(new(), new() { ["CONSUL_HTTP_TOKEN_FILE"] = file, ["CONSUL_HTTP_TOKEN"] = "the-other-token" });

        Assert.That(settings.Consul.Token, Is.EqualTo(Token));
        Assert.That(settings.ConsulSources["Token"], Is.EqualTo("CONSUL_HTTP_TOKEN_FILE"));
    }

    [Test]
    public void Token_and_token_file_together_are_ambiguous()
    {
        using var pki = new TestPki();
        var file = pki.Write("consul-token", Token);

        var errors = Errors(new() { ["Consul:Token"] = Token, ["Consul:TokenFile"] = file });

        Assert.That(errors, Is.EqualTo(new[] { "Consul:TokenFile: set either Consul:Token or Consul:TokenFile, not both" }));
    }

    [Test]
    public void An_empty_or_unreadable_token_file_stops_the_start_naming_key_and_file()
    {
        using var pki = new TestPki();
        var empty = pki.Write("empty-token", " \n");
        var missing = Path.Combine(pki.Directory, "no-such-token");

        var emptyErrors = Errors(new() { ["Consul:TokenFile"] = empty });
        var missingErrors = Errors(new(), new() { ["CONSUL_HTTP_TOKEN_FILE"] = missing });

        Assert.That(emptyErrors, Is.EqualTo(new[] { $"Consul:TokenFile: '{empty}' is empty" }));
        Assert.That(missingErrors.Single(), Does.StartWith($"CONSUL_HTTP_TOKEN_FILE: cannot read '{missing}'"));
    }

    [Test]
    public void A_token_with_a_line_break_is_refused_without_being_shown()
    {
        using var pki = new TestPki();
        var file = pki.Write("two-lines", Token + "\nsecond-line-of-secret");

        var errors = Errors(new() { ["Consul:TokenFile"] = file });

        Assert.That(errors.Single(), Does.StartWith("Consul:TokenFile: the token holds whitespace or control characters"));
        Assert.That(errors.Single(), Does.Not.Contain(Token).And.Not.Contain("second-line-of-secret"));
    }

    [Test]
    public void Consul_certificate_files_that_cannot_be_used_are_named_with_their_key()
    {
        using var pki = new TestPki();
        var garbage = pki.Write("garbage.pem", "not a certificate");
        var missing = Path.Combine(pki.Directory, "missing.pem");
        var (cert, _) = pki.IssueClient("client");
        var (_, otherKey) = pki.IssueClient("other");

        var errors = Errors(new()
        {
            ["Consul:Address"] = "https://127.0.0.1:8501",
            ["Consul:CaFile"] = garbage,
            ["Consul:CertFile"] = cert,
            ["Consul:KeyFile"] = otherKey,
        }, new() { ["CONSUL_CAPATH"] = missing });

        Assert.That(errors, Has.Some.EqualTo($"Consul:CaFile: '{garbage}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
        Assert.That(errors, Has.Some.StartWith($"CONSUL_CAPATH: cannot list the directory '{missing}'"));
        Assert.That(errors, Has.Some.StartWith($"Consul:CertFile: '{otherKey}' holds no unencrypted PEM private key matching the certificate in '{cert}'"));
    }

    [Test]
    public void A_client_certificate_without_its_key_is_an_error()
    {
        using var pki = new TestPki();
        var (cert, _) = pki.IssueClient();

        var errors = Errors(new() { ["Consul:Address"] = "https://127.0.0.1:8501", ["Consul:CertFile"] = cert });

        Assert.That(errors.Single(), Does.StartWith("Consul:CertFile: a client certificate needs its key"));
    }

    [Test]
    public void Certificate_files_are_not_read_when_consul_is_plain_http()
    {
        var settings = Load(new() { ["Consul:Address"] = "http://127.0.0.1:8500" }, new() { ["CONSUL_CACERT"] = "/nonexistent/ca.pem" });

        Assert.That(settings.Consul.CaFile, Is.EqualTo("/nonexistent/ca.pem"));
    }

    [TestCase("0")]
    [TestCase("25001")]
    public void The_http2_query_limit_is_bounded(string value)
    {
        var errors = Errors(new() { ["Consul:MaxConcurrentQueriesHttp2"] = value });

        Assert.That(errors.Single(), Does.StartWith("Consul:MaxConcurrentQueriesHttp2: accepted: 1 to 25000"));
    }

    [TestCase("Consul:MaxConcurrentQueries", "-1", "accepted: 0 (nine tenths of the agent's http_max_conns_per_client) or 1 to 10000")]
    [TestCase("Consul:SourceAddresses", "127.0.0.300", "'127.0.0.300' is not an IP address; accepted: auto, none, or IP addresses and IPv4 CIDR blocks")]
    [TestCase("Consul:SourceAddresses", "127.0.0.0/8", "holds more than 1024 addresses")]
    public void Connection_settings_refuse_bad_values_naming_the_key(string key, string value, string problem)
    {
        var errors = Errors(new() { [key] = value });

        Assert.That(errors.Single(), Does.StartWith(key + ": ").And.Contain(problem));
    }

    [Test]
    public void Ads_tls_keys_are_checked_together_and_their_files_read()
    {
        using var pki = new TestPki();
        var (cert, key) = pki.IssueServer();
        var missing = Path.Combine(pki.Directory, "missing-ca.pem");

        var noKey = Errors(new() { ["Ads:TlsCertFile"] = cert });
        var caWithoutTls = Errors(new() { ["Ads:ClientCaFile"] = pki.CaFile });
        var unreadableCa = Errors(new() { ["Ads:TlsCertFile"] = cert, ["Ads:TlsKeyFile"] = key, ["Ads:ClientCaFile"] = missing });
        var fine = Load(new() { ["Ads:TlsCertFile"] = cert, ["Ads:TlsKeyFile"] = key, ["Ads:ClientCaFile"] = pki.CaFile });

        Assert.That(noKey.Single(), Does.StartWith("Ads:TlsKeyFile: Ads:TlsCertFile and Ads:TlsKeyFile go together"));
        Assert.That(caWithoutTls.Single(), Does.StartWith("Ads:ClientCaFile: client certificates need TLS"));
        Assert.That(unreadableCa.Single(), Does.StartWith($"Ads:ClientCaFile: cannot read '{missing}'"));
        Assert.That(fine.AdsTls.RequiresClientCertificate, Is.True);
    }

    [Test]
    public void Unknown_ads_keys_are_still_reported_and_the_tls_keys_are_known()
    {
        var errors = Errors(new() { ["Ads:TlsCert"] = "/etc/x.pem" });

        Assert.That(errors.Single(), Does.StartWith("Ads:TlsCert: unknown setting").And.Contain("TlsCertFile").And.Contain("Authorization"));
    }

    [Test]
    public void Authorization_patterns_and_tokens_are_checked_and_tokens_never_shown()
    {
        var errors = Errors(new()
        {
            ["Ads:Authorization:AllowedNodeIds:0"] = "web-*-sidecar",
            ["Ads:Authorization:AllowedClusters:0"] = " ",
            ["Ads:Authorization:Tokens:0"] = "short-secret",
        });

        Assert.That(errors, Has.Some.StartWith("Ads:Authorization:AllowedNodeIds:0: 'web-*-sidecar' is not accepted"));
        Assert.That(errors, Has.Some.StartWith("Ads:Authorization:AllowedClusters:0:"));
        Assert.That(errors, Has.Some.StartWith("Ads:Authorization:Tokens:0: a token must be at least 16"));
        Assert.That(string.Join("\n", errors), Does.Not.Contain("short-secret"));
    }

    [Test]
    public void A_single_token_where_a_list_is_expected_is_an_error_not_an_empty_list()
    {
        var errors = Errors(new() { ["Ads:Authorization:Tokens"] = Token });

        Assert.That(errors.Single(), Does.StartWith("Ads:Authorization:Tokens: a single value where a list is expected"));
        Assert.That(errors.Single(), Does.Not.Contain(Token));
    }

    [Test]
    public void The_ads_token_file_adds_its_tokens_and_an_empty_one_is_an_error()
    {
        using var pki = new TestPki();
        var file = pki.Write("ads-tokens", $"# rack 7\n{Token}\n\nb7e1c3a9-0d5f-4e2b-9c8a-6f1d3e5b7a90\n");
        var comments = pki.Write("ads-comments", "# nothing yet\n");

        var settings = Load(new() { ["Ads:Authorization:TokenFile"] = file, ["Ads:Authorization:Tokens:0"] = "configured-token-0123456789" });
        var errors = Errors(new() { ["Ads:Authorization:TokenFile"] = comments });

        Assert.That(settings.AdsAuthorization.Tokens, Is.EqualTo(new[] { "configured-token-0123456789", Token, "b7e1c3a9-0d5f-4e2b-9c8a-6f1d3e5b7a90" }));
        Assert.That(errors.Single(), Is.EqualTo($"Ads:Authorization:TokenFile: '{comments}' holds no token (one a line; # starts a comment)"));
    }

    [Test]
    public void Settings_print_without_the_consul_token()
    {
        var settings = Load(new() { ["Consul:Token"] = Token });

        Assert.That(settings.Consul.ToString(), Does.Contain("Token = (set)").And.Not.Contain(Token));
        Assert.That(settings.ToString(), Does.Not.Contain(Token));
    }

    private static BridgeSettings Load(Dictionary<string, string?> values, Dictionary<string, string?>? environment = null) =>
        LoadFrom(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), environment);

    private static BridgeSettings LoadFrom(IConfiguration configuration, Dictionary<string, string?>? environment = null)
    {
        var (settings, errors) = SettingsLoader.Load(configuration, name => environment?.GetValueOrDefault(name));
        Assert.That(errors, Is.Empty);
        return settings!;
    }

    private static IReadOnlyList<string> Errors(Dictionary<string, string?> values, Dictionary<string, string?>? environment = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var (settings, errors) = SettingsLoader.Load(configuration, name => environment?.GetValueOrDefault(name));
        Assert.That(settings, Is.Null);
        return [.. errors.Select(e => e.ToString())];
    }
}
