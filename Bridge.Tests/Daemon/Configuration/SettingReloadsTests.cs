using System.Text.RegularExpressions;
using Bridge.Daemon.Cli;
using Bridge.Daemon.Configuration;

namespace Bridge.Tests.Daemon.Configuration;

/// <summary>
/// Every setting is either applied by a reload (at once, or to new ADS streams) or named by event 5103 as waiting for
/// a restart; the code, the shipped appsettings.json (which lists every setting) and README agree on which.
/// </summary>
[TestFixture]
public sealed partial class SettingReloadsTests
{
    [Test]
    public void Every_setting_of_the_shipped_appsettings_says_when_a_reload_applies_it()
    {
        var shipped = ShippedKeys();

        Assert.Multiple(() =>
        {
            Assert.That(shipped.Where(key => !SettingReloads.ByKey.ContainsKey(key)), Is.Empty, "settings that would silently wait for a restart");
            Assert.That(SettingReloads.ByKey.Keys.Where(key => !shipped.Contains(key)), Is.Empty, "classified keys that are no setting");
        });
    }

    [Test]
    public void Readme_says_when_each_setting_takes_effect_as_the_daemon_applies_it()
    {
        var readme = ReadmeTable();

        Assert.Multiple(() =>
        {
            foreach (var key in ShippedKeys())
            {
                Assert.That(readme.TryGetValue(key, out var documented) ? documented : (ReloadEffect?)null, Is.EqualTo(SettingReloads.Of(key)), key);
            }

            Assert.That(readme.Keys.Where(key => !SettingReloads.ByKey.ContainsKey(key)), Is.Empty, "README names keys that are no setting");
        });
    }

    [Test]
    public void A_setting_the_table_does_not_know_needs_a_restart()
    {
        Assert.That(SettingReloads.Of("Consul:SomethingNew"), Is.EqualTo(ReloadEffect.Restart));
    }

    [Test]
    public void Changed_names_each_setting_whose_value_differs_comparing_lists_and_maps_by_content()
    {
        var before = Load(new() { ["Consul:IncludeServices:0"] = "web", ["Ads:ClientKindOverrides:n1"] = "grpc", ["Consul:Wait"] = "00:05:00" });
        var after = Load(new() { ["Consul:IncludeServices:0"] = "web", ["Ads:ClientKindOverrides:n1"] = "grpc", ["Consul:Wait"] = "00:01:00", ["Ads:Authorization:AllowedNodeIds:0"] = "web-*" });

        Assert.That(SettingReloads.Changed(before, after), Is.EqualTo(new[] { "Consul:Wait", "Ads:Authorization:AllowedNodeIds" }));
    }

    /// <summary>Every key of the shipped appsettings.json as a setting key: list items and map entries are their setting's key.</summary>
    private static HashSet<string> ShippedKeys()
    {
        var shipped = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();
        var settings = SettingsReference.All().Select(s => s.Key).ToList();
        return shipped.AsEnumerable()
            .Where(kv => kv.Value is not null || !shipped.GetSection(kv.Key).GetChildren().Any())
            .Select(kv => kv.Key.StartsWith("Logging:LogLevel:", StringComparison.Ordinal) ? SettingReloads.LogLevels
                : settings.FirstOrDefault(k => kv.Key == k || kv.Key.StartsWith(k + ":", StringComparison.Ordinal)) ?? kv.Key)
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>README's "What can change without a restart" table: each row's keys, by what its first column says.</summary>
    private static Dictionary<string, ReloadEffect> ReadmeTable()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var start = readme.IndexOf("### What can change without a restart", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README has the section");
        var end = readme.IndexOf("\n#", start + 1, StringComparison.Ordinal);
        var table = new Dictionary<string, ReloadEffect>(StringComparer.Ordinal);
        foreach (var row in readme[start..end].Split('\n').Where(line => line.StartsWith("| ", StringComparison.Ordinal)).Skip(2))
        {
            var cells = row.Split('|', StringSplitOptions.TrimEntries);
            var effect = cells[1] switch
            {
                var text when text.StartsWith("At once", StringComparison.Ordinal) => ReloadEffect.Live,
                var text when text.StartsWith("For ADS streams opened after the reload", StringComparison.Ordinal) => ReloadEffect.NewStreams,
                var text when text.StartsWith("At the next start", StringComparison.Ordinal) => ReloadEffect.Restart,
                var text => throw new AssertionException($"README row '{text}' says neither at once, for new streams nor at the next start"),
            };
            foreach (var key in Backticked().Matches(cells[2]).Select(m => m.Groups[1].Value))
            {
                Assert.That(table.TryAdd(key, effect), Is.True, $"README lists {key} twice");
            }
        }

        return table;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();

    private static BridgeSettings Load(Dictionary<string, string?> values)
    {
        var (settings, errors) = SettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), _ => null);
        Assert.That(errors, Is.Empty);
        return settings!;
    }
}
