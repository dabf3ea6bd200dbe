using Bridge.Core.Xds.Chains;
using Envoy.Config.Core.V3;
using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using static Bridge.Tests.Xds.Chains.ChainFixture;

namespace Bridge.Tests.Xds.Chains;

public sealed class EnvoyChainRouteTests
{
    private const string Subsets = """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{},"v2":{}}}""";

    [Test]
    public void A_ninety_ten_split_is_weighted_9000_and_1000_of_a_total_of_10000()
    {
        var chain = Chain("web", Http("web"), Subsets, """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":90,"ServiceSubset":"v1"},{"Weight":10,"ServiceSubset":"v2"}]}""");

        var route = EnvoyRoutes(chain).Single();

        Assert.Multiple(() =>
        {
            Assert.That(route.Match.Prefix, Is.EqualTo("/"));
            Assert.That(route.Route_.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight)), Is.EqualTo(new[] { ("web~v1", (uint?)9000), ("web~v2", (uint?)1000) }));
            Assert.That(route.Route_.WeightedClusters.TotalWeight, Is.EqualTo(10000));
        });
    }

    [Test]
    public void Splits_in_hundredths_of_a_percent_keep_their_precision_and_splits_to_one_cluster_are_merged()
    {
        var chain = Chain(
            "web", Http("web"), Http("api"), Subsets,
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":33.33,"ServiceSubset":"v1"},{"Weight":66.67,"Service":"api"}]}""",
            """{"Kind":"service-splitter","Name":"api","Splits":[{"Weight":50,"Service":"web","ServiceSubset":"v1"},{"Weight":50,"Service":"web","ServiceSubset":"v2"}]}""");

        var weighted = EnvoyRoutes(chain).Single().Route_.WeightedClusters;

        // 33.33 to v1, then api's 66.67 halved: 33.34 (rounded as Consul rounds) each to v1 and v2.
        Assert.Multiple(() =>
        {
            Assert.That(weighted.Clusters.Select(c => (c.Name, c.Weight)), Is.EqualTo(new[] { ("web~v1", (uint?)6667), ("web~v2", (uint?)3334) }));
            Assert.That(weighted.TotalWeight, Is.EqualTo(10001), "the total is the sum of what is sent");
        });
    }

    [Test]
    public void A_split_with_no_weight_is_left_out_for_both_kinds()
    {
        var chain = Chain("web", Http("web"), Subsets, """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":0,"ServiceSubset":"v1"},{"Weight":100,"ServiceSubset":"v2"}]}""");

        var envoy = EnvoyRoutes(chain).Single().Route_.WeightedClusters;
        var grpc = GrpcRoutes(chain).Single().Route_.WeightedClusters;

        Assert.Multiple(() =>
        {
            Assert.That(envoy.Clusters.Select(c => (c.Name, c.Weight)), Is.EqualTo(new[] { ("web~v2", (uint?)10000) }));
            Assert.That(envoy.TotalWeight, Is.EqualTo(10000));
            Assert.That(grpc, Is.EqualTo(envoy));
        });
    }

    [Test]
    public void Route_matches_become_path_header_query_and_method_matchers()
    {
        var chain = Chain("web", Http("web"), Subsets, Router("web", """
            [{"Match":{"HTTP":{"PathExact":"/login","Methods":["GET","post"]}},"Destination":{"ServiceSubset":"v1"}},
             {"Match":{"HTTP":{"PathRegex":"/api/v[0-9]+/.*","Header":[
                {"Name":"x-debug","Present":true},{"Name":"x-env","Exact":"canary","Invert":true},{"Name":"x-a","Prefix":"pre"},
                {"Name":"x-b","Suffix":"suf"},{"Name":"x-c","Regex":"[a-z]+"}]}},"Destination":{"ServiceSubset":"v2"}},
             {"Match":{"HTTP":{"PathPrefix":"/q","QueryParam":[{"Name":"debug","Present":true},{"Name":"v","Exact":"2"},{"Name":"r","Regex":"x.*"}]}},"Destination":{"ServiceSubset":"v2"}}]
            """));

        var routes = EnvoyRoutes(chain);

        Assert.That(routes, Has.Count.EqualTo(4));
        Assert.Multiple(() =>
        {
            Assert.That(routes[0].Match.Path, Is.EqualTo("/login"));
            Assert.That(routes[0].Match.Headers.Single(), Is.EqualTo(new HeaderMatcher { Name = ":method", StringMatch = new StringMatcher { SafeRegex = new RegexMatcher { Regex = "GET|POST" } } }));
            Assert.That(routes[0].Route_.Cluster, Is.EqualTo("web~v1"));

            Assert.That(routes[1].Match.SafeRegex.Regex, Is.EqualTo("/api/v[0-9]+/.*"));
            Assert.That(routes[1].Match.Headers, Is.EqualTo(new[]
            {
                new HeaderMatcher { Name = "x-debug", PresentMatch = true },
                new HeaderMatcher { Name = "x-env", StringMatch = new StringMatcher { Exact = "canary" }, InvertMatch = true },
                new HeaderMatcher { Name = "x-a", StringMatch = new StringMatcher { Prefix = "pre" } },
                new HeaderMatcher { Name = "x-b", StringMatch = new StringMatcher { Suffix = "suf" } },
                new HeaderMatcher { Name = "x-c", StringMatch = new StringMatcher { SafeRegex = new RegexMatcher { Regex = "[a-z]+" } } },
            }));

            Assert.That(routes[2].Match.Prefix, Is.EqualTo("/q"));
            Assert.That(routes[2].Match.QueryParameters, Is.EqualTo(new[]
            {
                new QueryParameterMatcher { Name = "debug", PresentMatch = true },
                new QueryParameterMatcher { Name = "v", StringMatch = new StringMatcher { Exact = "2" } },
                new QueryParameterMatcher { Name = "r", StringMatch = new StringMatcher { SafeRegex = new RegexMatcher { Regex = "x.*" } } },
            }));

            Assert.That(routes[3].Match, Is.EqualTo(new RouteMatch { Prefix = "/" }), "the catch-all, last");
            Assert.That(routes[3].Route_.Cluster, Is.EqualTo("web"));
        });
    }

    [Test]
    public void A_destination_rewrites_the_prefix_times_out_retries_and_changes_headers()
    {
        var chain = Chain("web", Http("web"), Subsets, Router("web", """
            [{"Match":{"HTTP":{"PathPrefix":"/old"}},"Destination":{"ServiceSubset":"v2","PrefixRewrite":"/new","RequestTimeout":"12s","IdleTimeout":"30s",
              "NumRetries":3,"RetryOn":["5xx","reset","connect-failure"],"RetryOnConnectFailure":true,"RetryOnStatusCodes":[503,429],
              "RequestHeaders":{"Add":{"x-from":"bridge"},"Set":{"x-version":"2"},"Remove":["x-internal"]},
              "ResponseHeaders":{"Set":{"x-served-by":"v2"},"Remove":["server"]}}}]
            """));

        var route = EnvoyRoutes(chain)[0];

        Assert.Multiple(() =>
        {
            Assert.That(route.Route_.PrefixRewrite, Is.EqualTo("/new"));
            Assert.That(route.Route_.Timeout.ToTimeSpan(), Is.EqualTo(TimeSpan.FromSeconds(12)));
            Assert.That(route.Route_.IdleTimeout.ToTimeSpan(), Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(route.Route_.RetryPolicy.NumRetries, Is.EqualTo(3));
            Assert.That(route.Route_.RetryPolicy.RetryOn, Is.EqualTo("5xx,reset,connect-failure,retriable-status-codes"), "each condition once");
            Assert.That(route.Route_.RetryPolicy.RetriableStatusCodes, Is.EqualTo(new[] { 503u, 429u }));
            Assert.That(route.RequestHeadersToAdd, Is.EqualTo(new[]
            {
                Option("x-from", "bridge", HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd),
                Option("x-version", "2", HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd),
            }));
            Assert.That(route.RequestHeadersToRemove, Is.EqualTo(new[] { "x-internal" }));
            Assert.That(route.ResponseHeadersToAdd, Is.EqualTo(new[] { Option("x-served-by", "v2", HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd) }));
            Assert.That(route.ResponseHeadersToRemove, Is.EqualTo(new[] { "server" }));
        });
    }

    [Test]
    public void A_route_without_its_own_timeout_takes_its_targets_resolvers_and_a_retry_without_count_leaves_envoys_default()
    {
        var chain = Chain(
            "web", Http("web"),
            """{"Kind":"service-resolver","Name":"web","RequestTimeout":"7s","Subsets":{"v1":{}}}""",
            Router("web", """[{"Match":{"HTTP":{"PathPrefix":"/a"}},"Destination":{"ServiceSubset":"v1","RetryOnConnectFailure":true}}]"""));

        var routes = EnvoyRoutes(chain);

        Assert.Multiple(() =>
        {
            Assert.That(routes.Select(r => r.Route_.Timeout?.ToTimeSpan()), Is.All.EqualTo(TimeSpan.FromSeconds(7)));
            Assert.That(routes[0].Route_.RetryPolicy.RetryOn, Is.EqualTo("connect-failure"));
            Assert.That(routes[0].Route_.RetryPolicy.NumRetries, Is.Null);
            Assert.That(routes[1].Route_.RetryPolicy, Is.Null);
        });
    }

    [Test]
    public void Split_header_changes_go_on_their_weighted_cluster()
    {
        var chain = Chain("web", Http("web"), Subsets, """
            {"Kind":"service-splitter","Name":"web","Splits":[
              {"Weight":50,"ServiceSubset":"v1","RequestHeaders":{"Set":{"x-v":"1"}}},
              {"Weight":50,"ServiceSubset":"v2","ResponseHeaders":{"Remove":["x-v"]}}]}
            """);

        var clusters = EnvoyRoutes(chain).Single().Route_.WeightedClusters.Clusters;

        Assert.Multiple(() =>
        {
            Assert.That(clusters[0].RequestHeadersToAdd, Is.EqualTo(new[] { Option("x-v", "1", HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd) }));
            Assert.That(clusters[0].ResponseHeadersToRemove, Is.Empty);
            Assert.That(clusters[1].ResponseHeadersToRemove, Is.EqualTo(new[] { "x-v" }));
            Assert.That(clusters[1].RequestHeadersToAdd, Is.Empty);
        });
    }

    [Test]
    public void Hash_policies_of_a_hashing_target_go_on_its_routes()
    {
        var chain = Chain("web", """
            {"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"ring_hash","HashPolicies":[
              {"Field":"header","FieldValue":"x-user","Terminal":true},
              {"Field":"cookie","FieldValue":"sid","CookieConfig":{"TTL":"1h","Path":"/app"}},
              {"Field":"cookie","FieldValue":"sess","CookieConfig":{"Session":true}},
              {"Field":"query_parameter","FieldValue":"key"},
              {"SourceIP":true}]}}
            """);

        var hashes = EnvoyRoutes(chain).Single().Route_.HashPolicy;

        Assert.That(hashes, Is.EqualTo(new[]
        {
            new RouteAction.Types.HashPolicy { Header = new() { HeaderName = "x-user" }, Terminal = true },
            new RouteAction.Types.HashPolicy { Cookie = new() { Name = "sid", Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromHours(1)), Path = "/app" } },
            new RouteAction.Types.HashPolicy { Cookie = new() { Name = "sess", Ttl = new Google.Protobuf.WellKnownTypes.Duration() } },
            new RouteAction.Types.HashPolicy { QueryParameter = new() { Name = "key" } },
            new RouteAction.Types.HashPolicy { ConnectionProperties = new() { SourceIp = true } },
        }));
    }

    [Test]
    public void A_split_whose_targets_hash_differently_gets_no_hash_policy_and_a_note()
    {
        var chain = Chain(
            "web", Http("web"), Http("api"),
            """{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"ring_hash","HashPolicies":[{"Field":"header","FieldValue":"x-user"}]}}""",
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":50},{"Weight":50,"Service":"api"}]}""");
        var notes = new List<ChainNote>();

        var route = EnvoyRoutes(chain, notes).Single();

        Assert.Multiple(() =>
        {
            Assert.That(route.Route_.HashPolicy, Is.Empty);
            Assert.That(notes, Is.EqualTo(new[] { new ChainNote("web", ClientKind.Envoy, "catch-all route", "the split's targets hash requests differently: no hash policy is sent") }));
        });
    }

    [Test]
    public void Routes_to_a_target_with_failover_lead_to_its_aggregate()
    {
        var chain = Chain("web", Http("web"), """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{}},"Failover":{"v1":{"Datacenters":["dc2"]}}}""",
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":50,"ServiceSubset":"v1"},{"Weight":50}]}""");

        var route = EnvoyRoutes(chain).Single();

        Assert.That(route.Route_.WeightedClusters.Clusters.Select(c => c.Name), Is.EqualTo(new[] { "web~v1/failover", "web" }));
    }

    [Test]
    public void The_outbound_route_keeps_every_virtual_host_and_its_domains_and_takes_the_routes_of_non_default_chains()
    {
        var plain = new ResourceTranslator(new XdsOptions(), new FakeLogger()).EnvoyRoute(["api", "db", "web"]);
        var web = Chain("web", Http("web"), Subsets, """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":90,"ServiceSubset":"v1"},{"Weight":10,"ServiceSubset":"v2"}]}""");
        var api = Chain("api");
        var before = plain.Clone();

        var routed = Served(Translator().EnvoyRoute(plain, s => s switch { "web" => web, "api" => api, _ => null }));

        Assert.Multiple(() =>
        {
            Assert.That(routed.Name, Is.EqualTo(plain.Name));
            Assert.That(routed.VirtualHosts.Select(h => (h.Name, h.Domains.ToList())), Is.EqualTo(plain.VirtualHosts.Select(h => (h.Name, h.Domains.ToList()))));
            Assert.That(routed.VirtualHosts.Single(h => h.Name == "web").Routes, Is.EqualTo(Translator().EnvoyRoutes(web)));
            Assert.That(routed.VirtualHosts.Single(h => h.Name == "api"), Is.EqualTo(plain.VirtualHosts.Single(h => h.Name == "api")), "a default chain keeps today's routes");
            Assert.That(routed.VirtualHosts.Single(h => h.Name == "db"), Is.EqualTo(plain.VirtualHosts.Single(h => h.Name == "db")));
            Assert.That(plain, Is.EqualTo(before), "the route given is not changed");
        });
    }

    private static HeaderValueOption Option(string name, string value, HeaderValueOption.Types.HeaderAppendAction action) =>
        new() { Header = new HeaderValue { Key = name, Value = value }, AppendAction = action };
}
