using Bridge.Core.Consul;
using Bridge.Daemon.Configuration;

namespace Bridge.Tests.Daemon.Configuration;

/// <summary>Settings are immutable snapshots that compare by value, lists and maps by content.</summary>
[TestFixture]
public sealed class SettingsSnapshotTests
{
    private static readonly Dictionary<string, string?> EveryCollection = new()
    {
        ["Consul:IncludeServices:0"] = "web",
        ["Consul:IncludeServices:1"] = "api*",
        ["Consul:ExcludeServices:0"] = "consul",
        ["Consul:IncludeTags:0"] = "http",
        ["Consul:ExcludeTags:0"] = "canary",
        ["Ads:ClientKindOverrides:n1"] = "grpc",
        ["Ads:ClientKindOverrides:n2"] = "envoy",
        ["Ads:Authorization:AllowedNodeIds:0"] = "web-*",
        ["Ads:Authorization:AllowedClusters:0"] = "edge",
        ["Ads:Authorization:Tokens:0"] = "4e1f0c9b-2a7d-4b3e-8f6a-1c5d9e2b7a40",
    };

    [Test]
    public void Settings_loaded_twice_from_the_same_configuration_are_equal_lists_and_maps_included()
    {
        var first = Load(EveryCollection);
        var second = Load(EveryCollection);

        Assert.Multiple(() =>
        {
            Assert.That(second.Consul.IncludeServices, Is.Not.SameAs(first.Consul.IncludeServices), "bound anew");
            Assert.That(second == first, Is.True);
            Assert.That(second.GetHashCode(), Is.EqualTo(first.GetHashCode()));
        });
    }

    [Test]
    public void One_changed_list_item_or_map_value_makes_the_settings_differ()
    {
        var before = Load(EveryCollection);

        var otherItem = Load(new(EveryCollection) { ["Consul:IncludeServices:1"] = "api" });
        var otherValue = Load(new(EveryCollection) { ["Ads:ClientKindOverrides:n2"] = "grpc" });
        var oneMore = Load(new(EveryCollection) { ["Ads:Authorization:AllowedClusters:1"] = "core" });

        Assert.Multiple(() =>
        {
            Assert.That(otherItem == before, Is.False);
            Assert.That(otherValue == before, Is.False);
            Assert.That(oneMore == before, Is.False);
        });
    }

    [Test]
    public void Lists_compare_by_content_and_order_whatever_collection_they_were_given_as()
    {
        var array = new ConsulOptions { IncludeServices = ["a", "b"] };
        var list = new ConsulOptions { IncludeServices = new List<string> { "a", "b" } };
        var reversed = new ConsulOptions { IncludeServices = ["b", "a"] };

        Assert.Multiple(() =>
        {
            Assert.That(list == array, Is.True);
            Assert.That(list.GetHashCode(), Is.EqualTo(array.GetHashCode()));
            Assert.That(reversed == array, Is.False, "order is part of a list");
            Assert.That(new ConsulOptions() == new ConsulOptions { IncludeServices = [] }, Is.True);
        });
    }

    [Test]
    public void Maps_compare_by_content_whatever_the_order_of_their_entries()
    {
        var one = new AdsOptions { ClientKindOverrides = new Dictionary<string, string> { ["a"] = "grpc", ["b"] = "envoy" } };
        var other = new AdsOptions { ClientKindOverrides = new Dictionary<string, string> { ["b"] = "envoy", ["a"] = "grpc" } };
        var changed = new AdsOptions { ClientKindOverrides = new Dictionary<string, string> { ["a"] = "grpc", ["b"] = "grpc" } };

        Assert.Multiple(() =>
        {
            Assert.That(other == one, Is.True);
            Assert.That(other.GetHashCode(), Is.EqualTo(one.GetHashCode()));
            Assert.That(changed == one, Is.False);
            Assert.That(one.ClientKindOverrides["b"], Is.EqualTo("envoy"));
        });
    }

    [Test]
    public void A_list_given_to_options_cannot_change_them_afterwards()
    {
        var services = new List<string> { "web" };
        var options = new ConsulOptions { IncludeServices = services };

        services.Add("api");

        Assert.That(options.IncludeServices, Is.EqualTo(new[] { "web" }));
    }

    private static BridgeSettings Load(Dictionary<string, string?> values)
    {
        var (settings, errors) = SettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), _ => null);
        Assert.That(errors, Is.Empty);
        return settings!;
    }
}
