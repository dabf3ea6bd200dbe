using Bridge.Core.Catalog.Chains;
using static Bridge.Tests.Catalog.Chains.ChainEntries;

namespace Bridge.Tests.Catalog.Chains;

public sealed class SplitterTests
{
    private const string ApiSubsets = """
        {"Kind":"service-resolver","Name":"api","Subsets":{"v1":{"Filter":"Service.Meta.version == v1"},"v2":{"Filter":"Service.Meta.version == v2","OnlyPassing":true}}}
        """;

    [Test]
    public void Ninety_ten_split_between_subsets_sends_each_share_to_its_subset_target()
    {
        var chain = Compiled("api", Set(
            Defaults("api", "http"),
            """{"Kind":"service-splitter","Name":"api","Splits":[{"Weight":90,"ServiceSubset":"v1"},{"Weight":10,"ServiceSubset":"v2"}]}""",
            ApiSubsets));

        Assert.Multiple(() =>
        {
            Assert.That(chain.Routes, Is.EqualTo(new[] { CatchAll(new SplitDestination([Share(90, T("api", "v1")), Share(10, T("api", "v2"))])) }));
            Assert.That(chain.Target(T("api", "v1")).Subset, Is.EqualTo(new SubsetSelection("Service.Meta.version == v1", false)));
            Assert.That(chain.Target(T("api", "v2")).Subset, Is.EqualTo(new SubsetSelection("Service.Meta.version == v2", true)));
        });
    }

    [Test]
    public void Nested_splitter_is_flattened_with_weights_multiplied()
    {
        var chain = Compiled("web", Set(
            Defaults("web", "http"),
            Defaults("api", "http"),
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":90},{"Weight":10,"Service":"api"}]}""",
            """{"Kind":"service-splitter","Name":"api","Splits":[{"Weight":75,"ServiceSubset":"v1"},{"Weight":25,"ServiceSubset":"v2"}]}""",
            ApiSubsets));

        Assert.That(chain.Routes.Single().Destination, Is.EqualTo(new SplitDestination(
            [Share(90, T("web")), Share(7.5m, T("api", "v1")), Share(2.5m, T("api", "v2"))])));
    }

    [Test]
    public void Flattened_weights_are_rounded_to_hundredths_half_away_from_zero()
    {
        var chain = Compiled("web", Set(
            Defaults("web", "http"),
            Defaults("api", "http"),
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":66.67},{"Weight":33.33,"Service":"api"}]}""",
            """{"Kind":"service-splitter","Name":"api","Splits":[{"Weight":50,"ServiceSubset":"v1"},{"Weight":50,"ServiceSubset":"v2"}]}""",
            ApiSubsets));

        // 33.33 x 50 / 100 = 16.665, which Consul's rounding makes 16.67.
        Assert.That(chain.Routes.Single().Destination, Is.EqualTo(new SplitDestination(
            [Share(66.67m, T("web")), Share(16.67m, T("api", "v1")), Share(16.67m, T("api", "v2"))])));
    }

    [Test]
    public void Three_levels_of_splitters_multiply_all_the_way_down()
    {
        var chain = Compiled("a", Set(
            Defaults("a", "http"),
            Defaults("b", "http"),
            Defaults("c", "http"),
            Defaults("d", "http"),
            """{"Kind":"service-splitter","Name":"a","Splits":[{"Weight":50},{"Weight":50,"Service":"b"}]}""",
            """{"Kind":"service-splitter","Name":"b","Splits":[{"Weight":60},{"Weight":40,"Service":"c"}]}""",
            """{"Kind":"service-splitter","Name":"c","Splits":[{"Weight":50},{"Weight":50,"Service":"d"}]}"""));

        Assert.That(chain.Routes.Single().Destination, Is.EqualTo(new SplitDestination(
            [Share(50, T("a")), Share(30, T("b")), Share(10, T("c")), Share(10, T("d"))])));
    }

    [Test]
    public void Split_naming_a_subset_does_not_go_through_that_services_splitter()
    {
        var chain = Compiled("web", Set(
            Defaults("web", "http"),
            Defaults("api", "http"),
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":100,"Service":"api","ServiceSubset":"v2"}]}""",
            """{"Kind":"service-splitter","Name":"api","Splits":[{"Weight":100,"ServiceSubset":"v1"}]}""",
            ApiSubsets));

        Assert.That(chain.Routes.Single().Destination, Is.EqualTo(new SplitDestination([Share(100, T("api", "v2"))])));
    }

    [Test]
    public void Splitters_that_lead_back_to_each_other_fail_naming_the_splitter_that_closes_the_cycle()
    {
        var error = Failed("a", Set(
            Defaults("a", "http"),
            Defaults("b", "http"),
            """{"Kind":"service-splitter","Name":"a","Splits":[{"Weight":50},{"Weight":50,"Service":"b"}]}""",
            """{"Kind":"service-splitter","Name":"b","Splits":[{"Weight":100,"Service":"a"}]}"""));

        Assert.That(error, Is.EqualTo(new ChainError("a", "service-splitter", "a", "split cycle: a -> b -> a")));
    }

    [Test]
    public void Nested_split_header_changes_merge_requests_inner_first_and_responses_outer_first()
    {
        var chain = Compiled("web", Set(
            Defaults("web", "http"),
            Defaults("api", "http"),
            """
            {"Kind":"service-splitter","Name":"web","Splits":[{"Weight":100,"Service":"api",
              "RequestHeaders":{"Set":{"x-level":"outer","x-outer":"1"},"Remove":["x-a"]},
              "ResponseHeaders":{"Set":{"x-level":"outer"}}}]}
            """,
            """
            {"Kind":"service-splitter","Name":"api","Splits":[{"Weight":100,"ServiceSubset":"v1",
              "RequestHeaders":{"Set":{"x-level":"inner"},"Remove":["x-b","x-a"]},
              "ResponseHeaders":{"Set":{"x-level":"inner","x-inner":"1"}}}]}
            """,
            ApiSubsets));

        var split = ((SplitDestination)chain.Routes.Single().Destination).Splits.Single();
        Assert.Multiple(() =>
        {
            Assert.That(split.RequestHeaders, Is.EqualTo(new HeaderChanges([], [new("x-level", "inner"), new("x-outer", "1")], ["x-a", "x-b"])));
            Assert.That(split.ResponseHeaders, Is.EqualTo(new HeaderChanges([], [new("x-inner", "1"), new("x-level", "outer")], [])));
        });
    }

    [Test]
    public void Splitter_used_by_two_routes_yields_the_same_splits_for_both()
    {
        var chain = Compiled("web", Set(
            Defaults("web", "http"),
            """{"Kind":"service-router","Name":"web","Routes":[{"Match":{"HTTP":{"PathPrefix":"/a"}}}]}""",
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":50,"ServiceSubset":"a"},{"Weight":50,"ServiceSubset":"b"}]}""",
            """{"Kind":"service-resolver","Name":"web","Subsets":{"a":{},"b":{}}}"""));

        var expected = new SplitDestination([Share(50, T("web", "a")), Share(50, T("web", "b"))]);
        Assert.That(chain.Routes.Select(r => r.Destination), Is.EqualTo(new[] { expected, expected }));
    }
}
