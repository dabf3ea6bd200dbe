using Bridge.Core.Xds.Chains;
using Envoy.Config.Route.V3;
using static Bridge.Tests.Xds.Chains.ChainFixture;

namespace Bridge.Tests.Xds.Chains;

public sealed class GrpcChainRouteTests
{
    private const string Subsets = """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{},"v2":{}}}""";

    [Test]
    public void The_route_has_the_name_and_domains_of_todays_grpc_route_and_the_chains_routes()
    {
        var chain = Chain("web", Http("web"), Subsets, """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":90,"ServiceSubset":"v1"},{"Weight":10,"ServiceSubset":"v2"}]}""");
        var today = ResourceTranslator.GrpcRoute("web");

        var route = Served(Translator().GrpcRoute(chain));

        var host = route.VirtualHosts.Single();
        Assert.Multiple(() =>
        {
            Assert.That(route.Name, Is.EqualTo(today.Name));
            Assert.That((host.Name, host.Domains.ToList()), Is.EqualTo((today.VirtualHosts[0].Name, today.VirtualHosts[0].Domains.ToList())));
            Assert.That(host.Routes.Single().Match.Prefix, Is.EqualTo("/"));
            Assert.That(host.Routes.Single().Route_.WeightedClusters.Clusters.Select(c => (c.Name, c.Weight)), Is.EqualTo(new[] { ("web~v1", (uint?)9000), ("web~v2", (uint?)1000) }));
            Assert.That(host.Routes.Single().Route_.WeightedClusters.TotalWeight, Is.EqualTo(10000), "grpc-js 1.14.0 takes a missing total as 100");
        });
    }

    [Test]
    public void Path_and_header_matchers_carry_over_in_the_form_c_core_reads_and_a_method_list_with_post_is_left_out()
    {
        var chain = Chain("web", Http("web"), Subsets, Router("web", """
            [{"Match":{"HTTP":{"PathPrefix":"/pkg.Billing/","Methods":["POST","GET"],"Header":[
                {"Name":"x-tenant","Exact":"acme","Invert":true},{"Name":"x-debug","Present":true},{"Name":"x-a","Prefix":"pre"},
                {"Name":"x-b","Suffix":"suf"},{"Name":"x-c","Regex":"[a-z]+"}]}},"Destination":{"ServiceSubset":"v1"}},
             {"Match":{"HTTP":{"PathRegex":"/pkg\\.Billing/(Get|List).*"}},"Destination":{"ServiceSubset":"v2"}}]
            """));
        var notes = new List<ChainNote>();

        var routes = GrpcRoutes(chain, notes);

        Assert.Multiple(() =>
        {
            Assert.That(routes, Has.Count.EqualTo(3));
            Assert.That(routes[0].Match.Prefix, Is.EqualTo("/pkg.Billing/"));
            // gRPC C-core 1.51 rejects string_match: the matchers it replaced are sent.
            Assert.That(routes[0].Match.Headers, Is.EqualTo(new[]
            {
                new HeaderMatcher { Name = "x-tenant", ExactMatch = "acme", InvertMatch = true },
                new HeaderMatcher { Name = "x-debug", PresentMatch = true },
                new HeaderMatcher { Name = "x-a", PrefixMatch = "pre" },
                new HeaderMatcher { Name = "x-b", SuffixMatch = "suf" },
                new HeaderMatcher { Name = "x-c", SafeRegexMatch = new Envoy.Type.Matcher.V3.RegexMatcher { Regex = "[a-z]+" } },
            }), "no :method matcher, and no string_match");
            Assert.That(routes[0].Route_.Cluster, Is.EqualTo("web~v1"));
            Assert.That(routes[1].Match.SafeRegex.Regex, Is.EqualTo("/pkg\\.Billing/(Get|List).*"));
            Assert.That(routes[2].Route_.Cluster, Is.EqualTo("web"));
            Assert.That(notes, Is.Empty);
        });
    }

    [Test]
    public void Routes_on_query_parameters_or_on_methods_without_post_are_not_sent_and_are_noted()
    {
        var chain = Chain("web", Http("web"), Subsets, Router("web", """
            [{"Match":{"HTTP":{"PathPrefix":"/a","QueryParam":[{"Name":"debug","Present":true}]}},"Destination":{"ServiceSubset":"v1"}},
             {"Match":{"HTTP":{"PathPrefix":"/b","Methods":["GET","PUT"]}},"Destination":{"ServiceSubset":"v1"}},
             {"Match":{"HTTP":{"PathPrefix":"/c"}},"Destination":{"ServiceSubset":"v2"}}]
            """));
        var notes = new List<ChainNote>();

        var routes = GrpcRoutes(chain, notes);

        Assert.Multiple(() =>
        {
            Assert.That(routes.Select(r => r.Match.Prefix), Is.EqualTo(new[] { "/c", "/" }));
            Assert.That(notes.Select(n => (n.Kind, n.Where)), Is.EqualTo(new[] { (ClientKind.Grpc, "route 1"), (ClientKind.Grpc, "route 2") }));
            Assert.That(notes[0].What, Does.Contain("query parameters"));
            Assert.That(notes[1].What, Does.Contain("GET, PUT"));
        });
    }

    [Test]
    public void A_request_timeout_is_a_max_stream_duration_and_route_timeout_is_not_sent()
    {
        var chain = Chain("web", Http("web"), Subsets, Router("web", """[{"Match":{"HTTP":{"PathPrefix":"/slow"}},"Destination":{"ServiceSubset":"v1","RequestTimeout":"45s"}}]"""));

        var route = GrpcRoutes(chain)[0];

        Assert.Multiple(() =>
        {
            Assert.That(route.Route_.MaxStreamDuration.MaxStreamDuration_.ToTimeSpan(), Is.EqualTo(TimeSpan.FromSeconds(45)));
            Assert.That(route.Route_.Timeout, Is.Null);
        });
    }

    [Test]
    public void Retries_are_on_grpc_codes_only_with_connection_failures_as_unavailable_and_the_rest_noted()
    {
        var chain = Chain("web", Http("web"), Subsets, Router("web", """
            [{"Match":{"HTTP":{"PathPrefix":"/a"}},"Destination":{"ServiceSubset":"v1","NumRetries":5,
              "RetryOn":["5xx","cancelled","reset","deadline-exceeded","connect-failure"],"RetryOnConnectFailure":true,"RetryOnStatusCodes":[503]}},
             {"Match":{"HTTP":{"PathPrefix":"/b"}},"Destination":{"ServiceSubset":"v1","RetryOnConnectFailure":true}},
             {"Match":{"HTTP":{"PathPrefix":"/c"}},"Destination":{"ServiceSubset":"v1","NumRetries":2,"RetryOn":["gateway-error"]}}]
            """));
        var notes = new List<ChainNote>();

        var routes = GrpcRoutes(chain, notes);

        Assert.Multiple(() =>
        {
            Assert.That(routes[0].Route_.RetryPolicy.RetryOn, Is.EqualTo("cancelled,unavailable,deadline-exceeded"));
            Assert.That(routes[0].Route_.RetryPolicy.NumRetries, Is.EqualTo(4), "gRPC makes at most 5 attempts");
            Assert.That(routes[0].Route_.RetryPolicy.RetriableStatusCodes, Is.Empty);
            Assert.That(routes[1].Route_.RetryPolicy.RetryOn, Is.EqualTo("unavailable"));
            Assert.That(routes[1].Route_.RetryPolicy.NumRetries, Is.EqualTo(1), "gRPC refuses 0; Envoy's default is 1");
            Assert.That(routes[2].Route_.RetryPolicy, Is.Null, "nothing a gRPC client could retry on");
            Assert.That(notes.Select(n => (n.Where, n.What)), Is.EquivalentTo(new[]
            {
                ("route 1", "retry conditions 5xx have no gRPC status code: gRPC clients do not retry on them"),
                ("route 1", "retries on HTTP statuses 503 cannot be expressed for gRPC clients"),
                ("route 1", "5 retries are capped at 4: gRPC clients make at most 5 attempts"),
                ("route 3", "retry conditions gateway-error have no gRPC status code: gRPC clients do not retry on them"),
                ("route 3", "no retry condition is a gRPC status code: no retry policy is sent"),
            }));
        });
    }

    [Test]
    public void Header_changes_prefix_rewrites_and_idle_timeouts_are_not_sent_and_are_noted()
    {
        var chain = Chain("web", Http("web"), Subsets,
            Router("web", """[{"Match":{"HTTP":{"PathPrefix":"/a"}},"Destination":{"PrefixRewrite":"/b","IdleTimeout":"10s","RequestHeaders":{"Set":{"x-a":"1"}}}}]"""),
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":50,"ServiceSubset":"v1","RequestHeaders":{"Add":{"x-v":"1"}}},{"Weight":50,"ServiceSubset":"v2"}]}""");
        var notes = new List<ChainNote>();

        var route = GrpcRoutes(chain, notes)[0];

        Assert.Multiple(() =>
        {
            Assert.That(route.Route_.PrefixRewrite, Is.Empty);
            Assert.That(route.Route_.IdleTimeout, Is.Null);
            Assert.That(route.RequestHeadersToAdd, Is.Empty);
            Assert.That(route.Route_.WeightedClusters.Clusters.Select(c => c.RequestHeadersToAdd.Count), Is.All.Zero);
            Assert.That(notes.Where(n => n.Where == "route 1").Select(n => n.What), Is.EquivalentTo(new[]
            {
                "header changes of the splits are not applied by gRPC clients: not sent",
                "prefix rewrite to \"/b\" is not applied by gRPC clients: not sent",
                $"idle timeout {TimeSpan.FromSeconds(10)} is not applied by gRPC clients: not sent",
                "request and response header changes are not applied by gRPC clients: not sent",
            }));
        });
    }

    [Test]
    public void Hash_policies_are_not_sent_while_grpc_clients_get_round_robin()
    {
        var chain = Chain("web", """{"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"ring_hash","HashPolicies":[{"Field":"header","FieldValue":"x-user"}]}}""");

        Assert.That(GrpcRoutes(chain).Single().Route_.HashPolicy, Is.Empty);
    }

    [Test]
    public void With_grpc_ring_hash_on_headers_hash_as_themselves_the_source_address_as_the_channel_and_the_rest_is_noted()
    {
        var chain = Chain("web", """
            {"Kind":"service-resolver","Name":"web","LoadBalancer":{"Policy":"ring_hash","HashPolicies":[
              {"Field":"cookie","FieldValue":"sid"},{"Field":"header","FieldValue":"x-user","Terminal":true},{"Field":"query_parameter","FieldValue":"k"},{"SourceIP":true}]}}
            """);
        var notes = new List<ChainNote>();

        var hashes = GrpcRoutes(chain, notes, Translator(grpcRingHash: true)).Single().Route_.HashPolicy;

        Assert.Multiple(() =>
        {
            Assert.That(hashes, Is.EqualTo(new[]
            {
                new RouteAction.Types.HashPolicy { Header = new() { HeaderName = "x-user" }, Terminal = true },
                new RouteAction.Types.HashPolicy { FilterState = new() { Key = "io.grpc.channel_id" } },
            }));
            Assert.That(notes.Select(n => n.What), Is.EqualTo(new[]
            {
                "hash policy on cookie sid is not evaluated by gRPC clients (only headers and the source address, as the channel): not sent",
                "hash policy on query parameter k is not evaluated by gRPC clients (only headers and the source address, as the channel): not sent",
            }));
        });
    }
}
