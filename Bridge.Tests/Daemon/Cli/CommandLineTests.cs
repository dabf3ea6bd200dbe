using System.Reflection;
using Bridge.Daemon;
using Bridge.Daemon.Cli;

namespace Bridge.Tests.Daemon;

/// <summary>The commands that do not start the daemon, called in process.</summary>
[TestFixture]
public sealed class CommandLineTests
{
    [Test]
    public async Task Version_prints_the_informational_version()
    {
        var (code, output, _) = await RunAsync("--version");
        var expected = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0));
            Assert.That(output.Trim(), Is.EqualTo($"consul-xds-bridge {expected}"));
            Assert.That(expected, Does.StartWith("0."));
        });
    }

    [Test]
    public async Task Help_shows_the_usage_of_every_command()
    {
        var (code, output, _) = await RunAsync("--help");

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0));
            Assert.That(output, Does.Contain("consul-xds-bridge [--dev] [--Section:Key=value ...]"));
            Assert.That(output, Does.Contain("consul-xds-bridge validate <config.json>"));
            Assert.That(output, Does.Contain("consul-xds-bridge bootstrap envoy|grpc --node-id ID"));
            Assert.That(output, Does.Contain("consul-xds-bridge --version"));
            Assert.That(output, Does.Contain("consul-xds-bridge --help"));
        });
    }

    [Test]
    public async Task Help_lists_every_setting_with_its_default_and_environment_variable()
    {
        var (_, output, _) = await RunAsync("--help");
        var lines = output.Split('\n');

        Assert.Multiple(() =>
        {
            foreach (var setting in SettingsReference.All())
            {
                Assert.That(lines.Any(l => l.Contains(setting.Key + " ", StringComparison.Ordinal)
                    && l.Contains(" " + setting.Default + " ", StringComparison.Ordinal)
                    && l.TrimEnd().EndsWith(setting.EnvironmentVariable, StringComparison.Ordinal)),
                    Is.True, $"no line for {setting.Key} = {setting.Default} ({setting.EnvironmentVariable})");
            }
        });
    }

    [TestCase("Consul:Address", "http://127.0.0.1:8500", "BRIDGE_Consul__Address")]
    [TestCase("Consul:Wait", "00:05:00", "BRIDGE_Consul__Wait")]
    [TestCase("Consul:MinQueryInterval", "00:00:00.100", "BRIDGE_Consul__MinQueryInterval")]
    [TestCase("Consul:IncludeServices", "[]", "BRIDGE_Consul__IncludeServices__0")]
    [TestCase("Consul:MaxResponseBytes", "67108864", "BRIDGE_Consul__MaxResponseBytes")]
    [TestCase("Ads:ClientKindOverrides", "{}", "BRIDGE_Ads__ClientKindOverrides__<name>")]
    [TestCase("Admin:Listen", "127.0.0.1:19000", "BRIDGE_Admin__Listen")]
    [TestCase("State:Path", "(none)", "BRIDGE_State__Path")]
    public void Settings_reference_reads_key_default_and_variable_off_the_options_types(string key, string defaultValue, string variable)
    {
        var setting = SettingsReference.All().Single(s => s.Key == key);

        Assert.Multiple(() =>
        {
            Assert.That(setting.Default, Is.EqualTo(defaultValue));
            Assert.That(setting.EnvironmentVariable, Is.EqualTo(variable));
        });
    }

    [Test]
    public void Settings_reference_gives_the_accepted_values_of_a_choice()
    {
        var warning = SettingsReference.All().Single(s => s.Key == "Xds:Warning");

        Assert.That(warning.Accepted, Is.EqualTo(new[] { "Healthy", "Exclude" }));
    }

    /// <summary>
    /// The shipped appsettings.json is read before everything else; if it and the options types disagreed, --help
    /// would lie about the defaults.
    /// </summary>
    [Test]
    public void Shipped_appsettings_lists_every_setting_with_the_options_types_default()
    {
        var shipped = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();
        var reference = SettingsReference.All().ToDictionary(s => s.Key);
        // Leaves only (an empty {} is one): a list or map shows as its key when empty, else as its key plus an index or name.
        var shippedKeys = shipped.AsEnumerable()
            .Where(kv => (kv.Value is not null || !shipped.GetSection(kv.Key).GetChildren().Any())
                && kv.Key != "Logging" && !kv.Key.StartsWith("Logging:", StringComparison.Ordinal))
            .Select(kv => reference.Keys.FirstOrDefault(k => kv.Key == k || kv.Key.StartsWith(k + ":", StringComparison.Ordinal)) ?? kv.Key)
            .Distinct()
            .ToList();

        Assert.Multiple(() =>
        {
            Assert.That(shippedKeys, Is.EquivalentTo(reference.Keys));
            foreach (var (section, type) in SettingsReference.Sections())
            {
                var bound = shipped.GetSection(section).Get(type) ?? throw new InvalidOperationException(section);
                foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
                {
                    var key = $"{section}:{property.Name}";
                    Assert.That(SettingsReference.Format(property.GetValue(bound)), Is.EqualTo(reference[key].Default), key);
                }
            }
        });
    }

    [TestCase("Ads:TlsCertFile", "BRIDGE_Ads__TlsCertFile")]
    [TestCase("Ads:Authorization:Tokens", "BRIDGE_Ads__Authorization__Tokens__0")]
    public void Settings_bound_beside_or_below_a_section_are_listed_too(string key, string variable)
    {
        Assert.That(SettingsReference.All().Single(s => s.Key == key).EnvironmentVariable, Is.EqualTo(variable));
    }

    [Test]
    public async Task A_bootstrap_for_a_node_of_a_service_names_it_in_metadata_and_as_the_nodes_cluster()
    {
        var (envoyCode, envoy, _) = await RunAsync("bootstrap", "envoy", "--node-id", "web-1", "--service-name", "web");
        var (grpcCode, grpc, _) = await RunAsync("bootstrap", "grpc", "--node-id", "web-2", "--service-name", "web", "--services", "api");
        var node = System.Text.Json.JsonDocument.Parse(grpc).RootElement.GetProperty("node");

        Assert.Multiple(() =>
        {
            Assert.That((envoyCode, grpcCode), Is.EqualTo((0, 0)));
            Assert.That(envoy, Does.Contain("  cluster: \"web\"\n").And.Contain("    bridge.service_name: \"web\"\n"));
            Assert.That(node.GetProperty("cluster").GetString(), Is.EqualTo("web"));
            Assert.That(node.GetProperty("metadata").GetProperty("bridge.service_name").GetString(), Is.EqualTo("web"));
            Assert.That(node.GetProperty("metadata").GetProperty("bridge.services").GetString(), Is.EqualTo("api"));
        });
    }

    [Test]
    public async Task Unknown_command_exits_2_with_usage()
    {
        var (code, _, error) = await RunAsync("frobnicate");

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(error, Does.Contain("unknown command 'frobnicate'").And.Contain("usage:"));
        });
    }

    [TestCase("--vesion")]
    [TestCase("--Consull:Address=http://127.0.0.1:8500")]
    [TestCase("-x")]
    public async Task Unknown_option_exits_2_with_usage_instead_of_starting_the_daemon(string option)
    {
        var (code, _, error) = await RunAsync(option);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(error, Does.Contain($"unknown option '{option}'").And.Contain("usage:"));
        });
    }

    [Test]
    public async Task An_invalid_setting_on_the_command_line_exits_1_naming_the_key()
    {
        var (code, _, error) = await RunAsync("--Xds:Warning=maybe", "--Ads:Listen=localhost");

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.Contain("Xds:Warning: 'maybe' is not accepted; accepted values: Healthy, Exclude"));
            Assert.That(error, Does.Contain("Ads:Listen: 'localhost'"));
        });
    }

    internal static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Program.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
