using Bridge.Core.Catalog.Chains;
using static Bridge.Tests.Catalog.Chains.ChainEntries;

namespace Bridge.Tests.Catalog.Chains;

public sealed class RouterTests
{
    private static DiscoveryChain Route(string routes, params string[] more) =>
        Compiled("web", Set([Defaults("web", "http"), Defaults("admin", "http"), $$"""{"Kind":"service-router","Name":"web","Routes":{{routes}}}""", .. more]));

    [Test]
    public void Routes_are_kept_in_order_and_end_with_the_catch_all_to_the_service_itself()
    {
        var chain = Route("""
            [{"Match":{"HTTP":{"PathPrefix":"/admin"}},"Destination":{"Service":"admin"}},
             {"Match":{"HTTP":{"PathExact":"/"}},"Destination":{"Service":"admin"}}]
            """);

        Assert.That(chain.Routes, Is.EqualTo(new[]
        {
            new RouteRule(new RouteMatch(new PathMatch(PathMatchKind.Prefix, "/admin"), [], [], []), To(T("admin"))),
            new RouteRule(new RouteMatch(new PathMatch(PathMatchKind.Exact, "/"), [], [], []), To(T("admin"))),
            CatchAll(To(T("web"))),
        }));
    }

    [TestCase("""{"PathExact":"/health"}""", "Exact", "/health")]
    [TestCase("""{"PathPrefix":"/api/"}""", "Prefix", "/api/")]
    [TestCase("""{"PathRegex":"/v[0-9]+/.*"}""", "Regex", "/v[0-9]+/.*")]
    [TestCase("""{"Methods":["GET"]}""", "Prefix", "/")]
    public void Path_match_keeps_its_kind_and_value_and_defaults_to_prefix_slash(string http, string kind, string value)
    {
        var chain = Route($$$"""[{"Match":{"HTTP":{{{http}}}},"Destination":{"Service":"admin"}}]""");

        Assert.That(chain.Routes[0].Match.Path, Is.EqualTo(new PathMatch(Enum.Parse<PathMatchKind>(kind), value)));
    }

    [Test]
    public void Header_matches_of_every_kind_keep_their_value_and_inversion()
    {
        var chain = Route("""
            [{"Match":{"HTTP":{"Header":[
                {"Name":"x-debug","Present":true},
                {"Name":"x-env","Exact":"canary","Invert":true},
                {"Name":"x-user","Prefix":"internal-"},
                {"Name":"x-host","Suffix":".corp"},
                {"Name":"x-id","Regex":"[0-9]+"}]}},
              "Destination":{"Service":"admin"}}]
            """);

        Assert.That(chain.Routes[0].Match.Headers, Is.EqualTo(new[]
        {
            new HeaderMatch("x-debug", HeaderMatchKind.Present, "", false),
            new HeaderMatch("x-env", HeaderMatchKind.Exact, "canary", true),
            new HeaderMatch("x-user", HeaderMatchKind.Prefix, "internal-", false),
            new HeaderMatch("x-host", HeaderMatchKind.Suffix, ".corp", false),
            new HeaderMatch("x-id", HeaderMatchKind.Regex, "[0-9]+", false),
        }));
    }

    [Test]
    public void Query_parameter_matches_and_methods_are_kept_with_methods_upper_cased()
    {
        var chain = Route("""
            [{"Match":{"HTTP":{"QueryParam":[
                {"Name":"debug","Present":true},{"Name":"mode","Exact":"full"},{"Name":"page","Regex":"[0-9]+"}],
                "Methods":["get","Post"]}},
              "Destination":{"Service":"admin"}}]
            """);

        Assert.Multiple(() =>
        {
            Assert.That(chain.Routes[0].Match.QueryParams, Is.EqualTo(new[]
            {
                new QueryParamMatch("debug", QueryParamMatchKind.Present, ""),
                new QueryParamMatch("mode", QueryParamMatchKind.Exact, "full"),
                new QueryParamMatch("page", QueryParamMatchKind.Regex, "[0-9]+"),
            }));
            Assert.That(chain.Routes[0].Match.Methods, Is.EqualTo(new[] { "GET", "POST" }));
        });
    }

    [Test]
    public void Destination_options_are_carried_onto_the_rule()
    {
        var chain = Route("""
            [{"Match":{"HTTP":{"PathPrefix":"/old"}},
              "Destination":{"Service":"admin","PrefixRewrite":"/new","RequestTimeout":"15s","IdleTimeout":"1m30s",
                "NumRetries":3,"RetryOnConnectFailure":true,"RetryOn":["5xx","reset"],"RetryOnStatusCodes":[503,429],
                "RequestHeaders":{"Set":{"x-b":"2","x-a":"1"},"Remove":["x-drop","x-drop"]},
                "ResponseHeaders":{"Add":{"x-served-by":"admin"}}}}]
            """);

        Assert.That(chain.Routes[0], Is.EqualTo(new RouteRule(new RouteMatch(new PathMatch(PathMatchKind.Prefix, "/old"), [], [], []), To(T("admin")))
        {
            PrefixRewrite = "/new",
            RequestTimeout = TimeSpan.FromSeconds(15),
            IdleTimeout = TimeSpan.FromSeconds(90),
            Retry = new RetryPolicy(3, true, ["5xx", "reset"], [503u, 429u]),
            RequestHeaders = new HeaderChanges([], [new("x-a", "1"), new("x-b", "2")], ["x-drop"]),
            ResponseHeaders = new HeaderChanges([new("x-served-by", "admin")], [], []),
        }));
    }

    [Test]
    public void Route_without_retry_options_has_no_retry_policy_and_without_timeouts_none()
    {
        var chain = Route("""[{"Match":{"HTTP":{"PathPrefix":"/a"}},"Destination":{"Service":"admin"}}]""");

        Assert.Multiple(() =>
        {
            Assert.That(chain.Routes[0].Retry, Is.Null);
            Assert.That(chain.Routes[0].RequestTimeout, Is.Null);
            Assert.That(chain.Routes[0].IdleTimeout, Is.Null);
            Assert.That(chain.Routes[0].PrefixRewrite, Is.Null);
        });
    }

    [Test]
    public void Route_without_destination_or_service_goes_to_the_routers_own_service_and_without_match_matches_everything()
    {
        var chain = Route("""[{"Match":{"HTTP":{"PathPrefix":"/a"}}},{"Destination":{"NumRetries":2}}]""");

        Assert.Multiple(() =>
        {
            Assert.That(chain.Routes[0].Destination, Is.EqualTo(To(T("web"))));
            Assert.That(chain.Routes[1].Match, Is.EqualTo(RouteMatch.Everything));
            Assert.That(chain.Routes[1].Destination, Is.EqualTo(To(T("web"))));
            Assert.That(chain.Routes[1].IsCatchAll, Is.False);
        });
    }

    [Test]
    public void Route_naming_a_subset_bypasses_the_destinations_splitter()
    {
        var chain = Route(
            """[{"Match":{"HTTP":{"PathPrefix":"/beta"}},"Destination":{"Service":"admin","ServiceSubset":"beta"}}]""",
            """{"Kind":"service-splitter","Name":"admin","Splits":[{"Weight":100,"Service":"web"}]}""",
            """{"Kind":"service-resolver","Name":"admin","Subsets":{"beta":{"Filter":"Service.Meta.track == beta"}}}""");

        Assert.Multiple(() =>
        {
            Assert.That(chain.Routes[0].Destination, Is.EqualTo(To(T("admin", "beta"))));
            Assert.That(chain.Targets.Select(t => t.Id), Is.EqualTo(new[] { T("admin", "beta"), T("web") }));
        });
    }

    [Test]
    public void Route_to_a_service_with_a_splitter_goes_through_that_splitter()
    {
        var chain = Route(
            """[{"Match":{"HTTP":{"PathPrefix":"/admin"}},"Destination":{"Service":"admin"}}]""",
            """{"Kind":"service-splitter","Name":"admin","Splits":[{"Weight":50,"ServiceSubset":"a"},{"Weight":50,"ServiceSubset":"b"}]}""",
            """{"Kind":"service-resolver","Name":"admin","Subsets":{"a":{},"b":{}}}""");

        Assert.That(chain.Routes[0].Destination, Is.EqualTo(new SplitDestination([Share(50, T("admin", "a")), Share(50, T("admin", "b"))])));
    }

    [Test]
    public void Route_to_a_subset_the_resolver_does_not_define_fails_naming_the_router()
    {
        var error = Failed("web", Set(
            Defaults("web", "http"),
            """{"Kind":"service-router","Name":"web","Routes":[{"Destination":{"ServiceSubset":"v9"}}]}""",
            """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{},"v2":{}}}"""));

        Assert.That(error, Is.EqualTo(new ChainError("web", "service-router", "web",
            "service \"web\" has no subset \"v9\" (its service-resolver defines \"v1\", \"v2\")")));
    }
}
