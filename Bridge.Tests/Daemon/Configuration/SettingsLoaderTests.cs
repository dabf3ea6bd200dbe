using Bridge.Daemon.Configuration;

namespace Bridge.Tests.Daemon.Configuration;

/// <summary>Binding and validation: every mistake named by key, each options type checked by its own validator.</summary>
[TestFixture]
public sealed class SettingsLoaderTests
{
    [Test]
    public void An_unknown_key_is_refused_naming_the_known_keys_close_to_it()
    {
        var errors = Errors(new() { ["Consul:Adress"] = "http://127.0.0.1:8500", ["Xds:ZoneKey"] = "rack", ["Admin:Port"] = "19000" });

        Assert.Multiple(() =>
        {
            Assert.That(errors, Has.Some.StartWith("Consul:Adress: unknown setting; did you mean Address? known settings of Consul: Address, Datacenter,"));
            Assert.That(errors, Has.Some.StartWith("Xds:ZoneKey: unknown setting; did you mean ZoneNodeMetaKey?"));
            Assert.That(errors, Has.Some.EqualTo("Admin:Port: unknown setting; known settings of Admin: Listen"));
        });
    }

    [Test]
    public void A_value_that_does_not_read_as_its_setting_type_is_named_with_what_is_accepted()
    {
        var errors = Errors(new()
        {
            ["Catalog:RemovalGuardShare"] = "half",
            ["Consul:QueryBurst"] = "three",
            ["Consul:Consistency"] = "eventual",
            ["Ads:ClientKindOverrides"] = "grpc",
            ["State:MaxAge"] = "a week",
        });

        Assert.That(errors, Is.EquivalentTo(new[]
        {
            "Catalog:RemovalGuardShare: 'half' is not a number, e.g. 0.5",
            "Consul:QueryBurst: 'three' is not a whole number",
            "Consul:Consistency: 'eventual' is not accepted; accepted values: Default, Stale",
            "Ads:ClientKindOverrides: a single value where a map is expected: write it as a JSON object, or as Ads:ClientKindOverrides:<name>=<value>",
            "State:MaxAge: 'a week' is not a duration; write it as hh:mm:ss(.fff), e.g. 00:05:00",
        }));
    }

    [Test]
    public void Every_options_type_is_checked_by_its_validator_and_every_failure_is_reported()
    {
        var errors = Errors(new()
        {
            ["Consul:Wait"] = "00:00:00",
            ["Catalog:MaxDelay"] = "00:01:00",
            ["Xds:ConnectTimeout"] = "00:00:00",
            ["Ads:MaxStreams"] = "0",
            ["Ads:ClientKindOverrides:n1"] = "istio",
            ["Ads:TlsCertFile"] = "/etc/bridge/ads.pem",
            ["Ads:Authorization:AllowedNodeIds:0"] = "web-*-sidecar",
            ["Admin:Listen"] = "localhost:19000",
            ["State:WriteInterval"] = "00:00:00",
        });

        Assert.That(errors.Select(e => e[..e.IndexOf(": ", StringComparison.Ordinal)]), Is.EquivalentTo(new[]
        {
            "Consul:Wait", "Catalog:MaxDelay", "Xds:ConnectTimeout", "Ads:MaxStreams", "Ads:ClientKindOverrides:n1",
            "Ads:TlsKeyFile", "Ads:Authorization:AllowedNodeIds:0", "Admin:Listen", "State:WriteInterval",
        }));
    }

    [Test]
    public void Consul_variables_are_a_configuration_source_that_fills_only_what_the_configuration_leaves_unset()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Consul:Address"] = "http://consul.internal:8500",
            ["Consul:CaFile"] = "",
        }).Build();
        var environment = new Dictionary<string, string?>
        {
            ["CONSUL_HTTP_ADDR"] = "10.1.2.3:8500",
            ["CONSUL_CACERT"] = "/etc/consul/ca.pem",
            ["CONSUL_HTTP_TOKEN"] = "b7e1c3a9-0d5f-4e2b-9c8a-6f1d3e5b7a90",
        };

        var layered = new ConfigurationBuilder()
            .AddConfiguration(configuration)
            .Add(new ConsulEnvironmentSource(configuration, environment.GetValueOrDefault))
            .Build();

        Assert.Multiple(() =>
        {
            Assert.That(layered["Consul:Address"], Is.EqualTo("http://consul.internal:8500"), "set by the configuration");
            Assert.That(layered["Consul:CaFile"], Is.EqualTo("/etc/consul/ca.pem"), "empty in the configuration");
            Assert.That(layered["Consul:Token"], Is.EqualTo("b7e1c3a9-0d5f-4e2b-9c8a-6f1d3e5b7a90"), "not in the configuration");
        });
    }

    [Test]
    public void A_settings_file_listing_every_key_empty_leaves_room_for_the_consul_variables()
    {
        var directory = Directory.CreateTempSubdirectory("bridge-settings-");
        try
        {
            var file = Path.Combine(directory.FullName, "appsettings.json");
            File.WriteAllText(file, """{ "Consul": { "Token": "", "TokenFile": "", "CaFile": "", "TlsServerName": "" } }""");
            var configuration = new ConfigurationBuilder().AddJsonFile(file).Build();

            var (settings, errors) = SettingsLoader.Load(configuration, new Dictionary<string, string?>
            {
                ["CONSUL_HTTP_TOKEN"] = "b7e1c3a9-0d5f-4e2b-9c8a-6f1d3e5b7a90",
                ["CONSUL_TLS_SERVER_NAME"] = "consul.internal",
            }.GetValueOrDefault);

            Assert.That(errors, Is.Empty);
            Assert.Multiple(() =>
            {
                Assert.That(settings!.Consul.Token, Is.EqualTo("b7e1c3a9-0d5f-4e2b-9c8a-6f1d3e5b7a90"));
                Assert.That(settings.Consul.TlsServerName, Is.EqualTo("consul.internal"));
                Assert.That(settings.ConsulSources["Token"], Is.EqualTo("CONSUL_HTTP_TOKEN"));
                Assert.That(settings.Consul.CaFile, Is.Null);
            });
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Test]
    public void A_consul_variable_that_fails_validation_is_named_as_the_operator_set_it()
    {
        var errors = Errors(new(), new() { ["CONSUL_TLS_SERVER_NAME"] = "not a host", ["CONSUL_HTTP_TOKEN"] = "two words" });

        Assert.That(errors, Is.EquivalentTo(new[]
        {
            "CONSUL_TLS_SERVER_NAME: 'not a host' is not a host name, e.g. consul.service.consul",
            "CONSUL_HTTP_TOKEN: the token holds whitespace or control characters (the token itself is not shown)",
        }));
    }

    [TestCase("00:00:00.500")]
    [TestCase("7.00:00:01")]
    [TestCase("-00:10:00")]
    public void A_max_stream_age_out_of_range_is_refused_with_the_accepted_range(string age)
    {
        var errors = Errors(new() { ["Ads:MaxStreamAge"] = age });

        Assert.That(errors, Is.EqualTo(new[]
        {
            $"Ads:MaxStreamAge: {TimeSpan.Parse(age, System.Globalization.CultureInfo.InvariantCulture)} is out of range; accepted values: 00:00:00 (off) or 00:00:01 to 7.00:00:00, e.g. 00:30:00",
        }));
    }

    [TestCase("00:00:00")]
    [TestCase("00:00:01")]
    [TestCase("00:30:00")]
    [TestCase("7.00:00:00")]
    public void A_max_stream_age_of_zero_or_within_range_is_accepted(string age)
    {
        var (settings, errors) = SettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Ads:MaxStreamAge"] = age }).Build(), _ => null);

        Assert.That(errors, Is.Empty);
        Assert.That(settings!.Ads.MaxStreamAge, Is.EqualTo(TimeSpan.Parse(age, System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static IReadOnlyList<string> Errors(Dictionary<string, string?> values, Dictionary<string, string?>? environment = null)
    {
        var (settings, errors) = SettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), name => environment?.GetValueOrDefault(name));
        Assert.That(settings, Is.Null);
        return [.. errors.Select(e => e.ToString())];
    }
}
