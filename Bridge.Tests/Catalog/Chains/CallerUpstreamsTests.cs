using Bridge.Core.Catalog.Chains;
using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Tests.Catalog.Chains;

/// <summary>A calling service's upstream settings as Consul merges and checks them.</summary>
public sealed class CallerUpstreamsTests
{
    [Test]
    public void An_override_replaces_each_part_it_sets_whole_and_keeps_the_defaults_parts_it_leaves_unset()
    {
        var upstreams = From("""
            {"Defaults":{"ConnectTimeoutMs":1500,"Limits":{"MaxConnections":10,"MaxPendingRequests":5}},
             "Overrides":[{"Name":"API","Limits":{"MaxConcurrentRequests":7}}]}
            """);

        var api = upstreams.For("api")!;
        var db = upstreams.For("db")!;

        Assert.Multiple(() =>
        {
            Assert.That(api.ConnectTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(1500)), "not set by the override: the defaults'");
            Assert.That(api.Limits, Is.EqualTo(new UpstreamLimits { MaxConcurrentRequests = 7 }), "Consul replaces the limits whole: no MaxConnections from the defaults");
            Assert.That(db, Is.EqualTo(upstreams.Defaults));
        });
    }

    [Test]
    public void Overrides_alone_apply_to_their_upstreams_only()
    {
        var upstreams = From("""{"Overrides":[{"Name":"api","ConnectTimeoutMs":250}]}""");

        Assert.Multiple(() =>
        {
            Assert.That(upstreams.For("api")!.ConnectTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(upstreams.For("db"), Is.Null);
        });
    }

    [TestCase("""{"Defaults":{"ConnectTimeoutMs":-1}}""", "UpstreamConfig.Defaults.ConnectTimeoutMs: -1 is negative")]
    [TestCase("""{"Defaults":{"Limits":{"MaxPendingRequests":-3}}}""", "UpstreamConfig.Defaults.Limits.MaxPendingRequests: -3 is outside 0 to 4294967295")]
    [TestCase("""{"Overrides":[{"ConnectTimeoutMs":5}]}""", "UpstreamConfig.Overrides[0].Name: an override must name its upstream")]
    [TestCase("""{"Overrides":[{"Name":"api"},{"Name":"Api"}]}""", "UpstreamConfig.Overrides[1].Name: \"Api\" is overridden twice")]
    [TestCase("""{"Overrides":[{"Name":"api","Peer":"east"}]}""", "UpstreamConfig.Overrides[0].Peer: cluster peers are not supported")]
    [TestCase("""{"Overrides":[{"Name":"api","PassiveHealthCheck":{"EnforcingConsecutive5xx":101}}]}""", "UpstreamConfig.Overrides[0].PassiveHealthCheck.EnforcingConsecutive5xx: 101 is above 100 (a percentage)")]
    [TestCase("""{"Defaults":{"PassiveHealthCheck":{"Interval":"-1s"}}}""", "UpstreamConfig.Defaults.PassiveHealthCheck.Interval: -00:00:01 is negative")]
    public void Settings_that_break_a_rule_are_refused_saying_where(string config, string expected)
    {
        var upstreams = CallerUpstreams.From(Entry(config), out var problem);

        Assert.Multiple(() =>
        {
            Assert.That(problem, Is.EqualTo(expected));
            Assert.That(upstreams, Is.Null);
        });
    }

    [Test]
    public void An_entry_without_upstream_settings_has_none_and_no_problem()
    {
        var entry = Decode("""{"Kind":"service-defaults","Name":"web","Protocol":"http"}""");

        Assert.Multiple(() =>
        {
            Assert.That(CallerUpstreams.From(entry, out var problem), Is.Null);
            Assert.That(problem, Is.Null);
        });
    }

    [Test]
    public void Equal_settings_compare_equal_so_an_unchanged_entry_changes_nothing()
    {
        const string Config = """{"Defaults":{"Limits":{"MaxConnections":1}},"Overrides":[{"Name":"api","ConnectTimeoutMs":9}]}""";

        var first = From(Config);
        var again = From(Config);
        var changed = From(Config.Replace("9", "8", StringComparison.Ordinal));

        Assert.That(again, Is.EqualTo(first));
        Assert.That(changed, Is.Not.EqualTo(first));
    }

    private static CallerUpstreams From(string config) =>
        CallerUpstreams.From(Entry(config), out var problem) ?? throw new AssertionException($"not applied: {problem}");

    private static ServiceDefaultsEntry Entry(string upstreamConfig) =>
        Decode($$"""{"Kind":"service-defaults","Name":"web","UpstreamConfig":{{upstreamConfig}}}""");

    private static ServiceDefaultsEntry Decode(string json) =>
        (ServiceDefaultsEntry)ConfigEntryDecoder.Decode(ConfigEntryKind.ServiceDefaults, System.Text.Encoding.UTF8.GetBytes($"[{json}]")).Entries.Single();
}
