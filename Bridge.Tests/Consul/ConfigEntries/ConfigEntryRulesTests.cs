using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Tests.Consul.ConfigEntries;

public sealed class ConfigEntryRulesTests
{
    private static string? Problem(string kind, string json)
    {
        var entryKind = ConfigEntryKinds.All.Single(k => k.ApiName() == kind);
        var list = ConfigEntryDecoder.Decode(entryKind, Encoding.UTF8.GetBytes($"[{json}]"));
        Assert.That(list.Skipped, Is.Empty);
        return ConfigEntryRules.Problem(list.Entries.Single());
    }

    private static string Router(string route) => $$"""{"Name":"web","Routes":[{{route}}]}""";

    private static string Resolver(string fields) => $$"""{"Name":"web",{{fields}}}""";

    [TestCase("""{"Match":{"HTTP":{"PathExact":"/a","PathPrefix":"/b"}}}""", "Routes[0].Match.HTTP: at most one of PathExact, PathPrefix and PathRegex may be set")]
    [TestCase("""{"Match":{"HTTP":{"PathExact":"a"}}}""", "Routes[0].Match.HTTP.PathExact: \"a\" does not start with '/'")]
    [TestCase("""{"Match":{"HTTP":{"PathPrefix":"a"}}}""", "Routes[0].Match.HTTP.PathPrefix: \"a\" does not start with '/'")]
    [TestCase("""{"Match":{"HTTP":{"Header":[{"Exact":"x"}]}}}""", "Routes[0].Match.HTTP.Header[0]: Name is required")]
    [TestCase("""{"Match":{"HTTP":{"Header":[{"Name":"h"}]}}}""", "Routes[0].Match.HTTP.Header[0]: exactly one of Present, Exact, Prefix, Suffix and Regex must be set")]
    [TestCase("""{"Match":{"HTTP":{"Header":[{"Name":"h","Present":true,"Suffix":"x"}]}}}""", "Routes[0].Match.HTTP.Header[0]: exactly one of Present, Exact, Prefix, Suffix and Regex must be set")]
    [TestCase("""{"Match":{"HTTP":{"QueryParam":[{"Present":true}]}}}""", "Routes[0].Match.HTTP.QueryParam[0]: Name is required")]
    [TestCase("""{"Match":{"HTTP":{"QueryParam":[{"Name":"q","Exact":"a","Regex":"b"}]}}}""", "Routes[0].Match.HTTP.QueryParam[0]: exactly one of Present, Exact and Regex must be set")]
    [TestCase("""{"Match":{"HTTP":{"Methods":["FETCH"]}}}""", "Routes[0].Match.HTTP.Methods: \"FETCH\" is not an HTTP method")]
    [TestCase("""{"Match":{"HTTP":{"Methods":["get","GET"]}}}""", "Routes[0].Match.HTTP.Methods: \"GET\" is listed more than once")]
    [TestCase("""{"Match":{"HTTP":{"PathRegex":"/a.*"}},"Destination":{"PrefixRewrite":"/"}}""", "Routes[0].Destination.PrefixRewrite: needs PathExact or PathPrefix in the match")]
    [TestCase("""{"Destination":{"RetryOn":["5xx","sometimes"]}}""", "Routes[0].Destination.RetryOn: \"sometimes\" is not a retry condition")]
    [TestCase("""{"Destination":{"RequestTimeout":"-1s"}}""", "Routes[0].Destination: RequestTimeout and IdleTimeout must not be negative")]
    [TestCase("""{"Destination":{"Namespace":"team-a"}}""", "Routes[0].Destination.Namespace: \"team-a\": namespaces other than default are not supported")]
    [TestCase("""{"Destination":{"Partition":"eu"}}""", "Routes[0].Destination.Partition: \"eu\": partitions other than default are not supported")]
    public void Router_breaking_a_rule_is_told_where(string route, string problem)
    {
        Assert.That(Problem("service-router", Router(route)), Is.EqualTo(problem));
    }

    [Test]
    public void Router_problem_names_the_route_it_is_in()
    {
        Assert.That(Problem("service-router", Router("""{},{"Match":{"HTTP":{"PathExact":"x"}}}""")), Does.StartWith("Routes[1]."));
    }

    [TestCase("""{"Name":"web","Splits":[]}""", "Splits: no splits")]
    [TestCase("""{"Name":"web"}""", "Splits: no splits")]
    [TestCase("""{"Name":"web","Splits":[{"Weight":50},{"Weight":49.99,"ServiceSubset":"b"}]}""", "Splits: the weights sum to 99.99, not 100")]
    [TestCase("""{"Name":"web","Splits":[{"Weight":110},{"Weight":-10,"ServiceSubset":"b"}]}""", "Splits[1].Weight: -10 is negative")]
    [TestCase("""{"Name":"web","Splits":[{"Weight":50},{"Weight":50,"Service":"web"}]}""", "Splits[1]: service \"web\" subset \"\" is split to more than once")]
    [TestCase("""{"Name":"web","Splits":[{"Weight":100,"Namespace":"team-a"}]}""", "Splits[0].Namespace: \"team-a\": namespaces other than default are not supported")]
    public void Splitter_breaking_a_rule_is_told_where(string json, string problem)
    {
        Assert.That(Problem("service-splitter", json), Is.EqualTo(problem));
    }

    [Test]
    public void Weights_are_summed_as_consul_sums_them_each_rounded_to_hundredths_half_away_from_zero()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Problem("service-splitter", """{"Name":"web","Splits":[{"Weight":33.325},{"Weight":33.33,"Service":"a"},{"Weight":33.34,"Service":"b"}]}"""), Is.Null);
            Assert.That(Problem("service-splitter", """{"Name":"web","Splits":[{"Weight":33.334},{"Weight":33.333,"Service":"a"},{"Weight":33.333,"Service":"b"}]}"""),
                Is.EqualTo("Splits: the weights sum to 99.99, not 100"));
        });
    }

    [TestCase("\"Subsets\":{\"V1\":{}}", "Subsets: \"V1\" is not a valid subset name (1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit)")]
    [TestCase("\"Subsets\":{\"v1-\":{}}", "Subsets: \"v1-\" is not a valid subset name (1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit)")]
    [TestCase("\"Subsets\":{\"v1\":{}},\"DefaultSubset\":\"v2\"", "DefaultSubset: \"v2\" is not one of the Subsets")]
    [TestCase("\"Redirect\":{\"Service\":\"a\"},\"Failover\":{\"*\":{\"Service\":\"b\"}}", "Redirect and Failover cannot both be set")]
    [TestCase("\"Redirect\":{}", "Redirect: empty; set Service, ServiceSubset or Datacenter")]
    [TestCase("\"Redirect\":{\"ServiceSubset\":\"v1\"}", "Redirect.ServiceSubset: needs Service")]
    [TestCase("\"Redirect\":{\"Service\":\"web\",\"ServiceSubset\":\"v9\"}", "Redirect.ServiceSubset: \"v9\" is not a subset of \"web\"")]
    [TestCase("\"Redirect\":{\"Service\":\"a\",\"Peer\":\"other-cluster\"}", "Redirect.Peer: redirects to cluster peers are not supported")]
    [TestCase("\"Redirect\":{\"SamenessGroup\":\"g\"}", "Redirect.SamenessGroup: sameness groups are not supported")]
    [TestCase("\"Redirect\":{\"Service\":\"a\",\"Namespace\":\"ns\"}", "Redirect.Namespace: \"ns\": namespaces other than default are not supported")]
    [TestCase("\"Failover\":{\"v1\":{\"Service\":\"b\"}}", "Failover[\"v1\"]: \"v1\" is neither \"*\" nor one of the Subsets")]
    [TestCase("\"Failover\":{\"*\":{}}", "Failover[\"*\"]: empty; set Service, ServiceSubset, Datacenters or Targets")]
    [TestCase("\"Failover\":{\"*\":{\"ServiceSubset\":\"v9\"}}", "Failover[\"*\"].ServiceSubset: \"v9\" is not a subset of \"web\"")]
    [TestCase("\"Failover\":{\"*\":{\"Datacenters\":[\"dc2\"],\"Targets\":[{\"Service\":\"b\"}]}}", "Failover[\"*\"].Targets: cannot be set with Datacenters, Service or ServiceSubset")]
    [TestCase("\"Failover\":{\"*\":{\"Targets\":[{\"Peer\":\"p\"}]}}", "Failover[\"*\"].Targets[0].Peer: failover to cluster peers is not supported")]
    [TestCase("\"Failover\":{\"*\":{\"Targets\":[{\"ServiceSubset\":\"v9\"}]}}", "Failover[\"*\"].Targets[0].ServiceSubset: \"v9\" is not a subset of \"web\"")]
    [TestCase("\"Failover\":{\"*\":{\"Datacenters\":[\"dc2\",\"\"]}}", "Failover[\"*\"].Datacenters: an empty datacenter name")]
    [TestCase("\"Failover\":{\"*\":{\"Datacenters\":[\"dc2\"],\"Policy\":{\"Mode\":\"nearest\"}}}", "Failover[\"*\"].Policy.Mode: \"nearest\" is not one of \"default\" and \"order-by-locality\"")]
    [TestCase("\"Failover\":{\"*\":{\"SamenessGroup\":\"g\"}}", "Failover[\"*\"].SamenessGroup: sameness groups are not supported")]
    [TestCase("\"ConnectTimeout\":\"-5s\"", "ConnectTimeout and RequestTimeout must not be negative")]
    [TestCase("\"LoadBalancer\":{\"Policy\":\"fastest\"}", "LoadBalancer.Policy: \"fastest\" is not one of round_robin, least_request, ring_hash, maglev and random")]
    [TestCase("\"LoadBalancer\":{\"Policy\":\"maglev\",\"RingHashConfig\":{}}", "LoadBalancer.RingHashConfig: only for ring_hash, not \"maglev\"")]
    [TestCase("\"LoadBalancer\":{\"Policy\":\"random\",\"LeastRequestConfig\":{}}", "LoadBalancer.LeastRequestConfig: only for least_request, not \"random\"")]
    [TestCase("\"LoadBalancer\":{\"Policy\":\"least_request\",\"HashPolicies\":[{\"SourceIP\":true}]}", "LoadBalancer.HashPolicies: only for ring_hash and maglev, not \"least_request\"")]
    [TestCase("\"LoadBalancer\":{\"Policy\":\"maglev\",\"HashPolicies\":[{\"Field\":\"path\",\"FieldValue\":\"x\"}]}", "LoadBalancer.HashPolicies[0].Field: \"path\" is not one of header, cookie and query_parameter")]
    [TestCase("\"LoadBalancer\":{\"Policy\":\"maglev\",\"HashPolicies\":[{\"Field\":\"header\",\"FieldValue\":\"x\",\"SourceIP\":true}]}", "LoadBalancer.HashPolicies[0]: SourceIP cannot be set with Field or FieldValue")]
    [TestCase("\"LoadBalancer\":{\"Policy\":\"maglev\",\"HashPolicies\":[{\"Field\":\"header\"}]}", "LoadBalancer.HashPolicies[0]: Field and FieldValue go together")]
    [TestCase("\"LoadBalancer\":{\"Policy\":\"maglev\",\"HashPolicies\":[{\"FieldValue\":\"x\"}]}", "LoadBalancer.HashPolicies[0]: Field and FieldValue go together")]
    [TestCase("\"LoadBalancer\":{\"Policy\":\"maglev\",\"HashPolicies\":[{\"Field\":\"header\",\"FieldValue\":\"x\",\"CookieConfig\":{}}]}", "LoadBalancer.HashPolicies[0].CookieConfig: only for Field cookie")]
    [TestCase("\"LoadBalancer\":{\"Policy\":\"maglev\",\"HashPolicies\":[{\"Field\":\"cookie\",\"FieldValue\":\"x\",\"CookieConfig\":{\"Session\":true,\"TTL\":\"1s\"}}]}", "LoadBalancer.HashPolicies[0].CookieConfig: a session cookie has no TTL")]
    public void Resolver_breaking_a_rule_is_told_where(string fields, string problem)
    {
        Assert.That(Problem("service-resolver", Resolver(fields)), Is.EqualTo(problem));
    }

    [Test]
    public void Entries_that_keep_every_rule_have_no_problem()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Problem("service-router", Router("""
                {"Match":{"HTTP":{"PathPrefix":"/a","Header":[{"Name":"h","Regex":"x","Invert":true}],"QueryParam":[{"Name":"q","Present":true}],"Methods":["get","POST"]}},
                 "Destination":{"Service":"a","PrefixRewrite":"/","RetryOn":["5xx","unavailable"],"Namespace":"default"}}
                """)), Is.Null);
            Assert.That(Problem("service-splitter", """{"Name":"web","Splits":[{"Weight":90,"ServiceSubset":"a"},{"Weight":10,"ServiceSubset":"b"}]}"""), Is.Null);
            Assert.That(Problem("service-resolver", Resolver("""
                "DefaultSubset":"v1","Subsets":{"v1":{},"v-2":{}},
                "Failover":{"*":{"Datacenters":["dc2"]},"v1":{"Targets":[{"Service":"b","Datacenter":"dc3"},{"ServiceSubset":"v-2"}]}},
                "ConnectTimeout":"1s",
                "LoadBalancer":{"Policy":"ring_hash","RingHashConfig":{"MinimumRingSize":8},"HashPolicies":[{"Field":"cookie","FieldValue":"s","CookieConfig":{"Session":true}},{"SourceIP":true}]}
                """)), Is.Null);
            Assert.That(Problem("service-resolver", Resolver("\"Redirect\":{\"Datacenter\":\"dc2\"}")), Is.Null);
            Assert.That(Problem("service-defaults", """{"Name":"web","Protocol":"mongo"}"""), Is.Null);
        });
    }
}
