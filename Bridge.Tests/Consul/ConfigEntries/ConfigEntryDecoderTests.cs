using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Tests.Consul.ConfigEntries;

public sealed class ConfigEntryDecoderTests
{
    private static ConfigEntryList Decode(ConfigEntryKind kind, string body) => ConfigEntryDecoder.Decode(kind, Encoding.UTF8.GetBytes(body));

    private static T Single<T>(ConfigEntryKind kind, string entry)
        where T : ConfigEntry
    {
        var list = Decode(kind, $"[{entry}]");
        Assert.That(list.Skipped, Is.Empty);
        return (T)list.Entries.Single();
    }

    [Test]
    public void Service_defaults_are_read_with_every_field_the_bridge_uses()
    {
        var entry = Single<ServiceDefaultsEntry>(ConfigEntryKind.ServiceDefaults, """
            {"Kind":"service-defaults","Name":"web","Protocol":"http","Namespace":"default","Partition":"default",
             "Meta":{"owner":"team-a"},"CreateIndex":12,"ModifyIndex":34,
             "UpstreamConfig":{
               "Defaults":{"ConnectTimeoutMs":5000,"Limits":{"MaxConnections":10,"MaxPendingRequests":20,"MaxConcurrentRequests":30},
                 "PassiveHealthCheck":{"Interval":10000000000,"MaxFailures":5,"EnforcingConsecutive5xx":100,"MaxEjectionPercent":50,"BaseEjectionTime":30000000000}},
               "Overrides":[{"Name":"api","Namespace":"default","Partition":"default","Peer":"","Protocol":"grpc","ConnectTimeoutMs":250,"Limits":{"MaxConnections":0}}]}}
            """);

        Assert.Multiple(() =>
        {
            Assert.That((entry.Kind, entry.Name, entry.Protocol, entry.Namespace, entry.Partition), Is.EqualTo(("service-defaults", "web", "http", "default", "default")));
            Assert.That(entry.Meta, Is.EqualTo(new Dictionary<string, string> { ["owner"] = "team-a" }));
            Assert.That((entry.CreateIndex, entry.ModifyIndex), Is.EqualTo((12UL, 34UL)));
            Assert.That(entry.EntryKind, Is.EqualTo(ConfigEntryKind.ServiceDefaults));
            var defaults = entry.UpstreamConfig!.Defaults!;
            Assert.That(defaults.ConnectTimeoutMs, Is.EqualTo(5000));
            Assert.That(defaults.Limits, Is.EqualTo(new UpstreamLimits { MaxConnections = 10, MaxPendingRequests = 20, MaxConcurrentRequests = 30 }));
            Assert.That(defaults.PassiveHealthCheck, Is.EqualTo(new PassiveHealthCheck
            {
                Interval = TimeSpan.FromSeconds(10),
                MaxFailures = 5,
                EnforcingConsecutive5xx = 100,
                MaxEjectionPercent = 50,
                BaseEjectionTime = TimeSpan.FromSeconds(30),
            }));
            var over = entry.UpstreamConfig.Overrides!.Single();
            Assert.That((over.Name, over.Namespace, over.Partition, over.Peer, over.Protocol, over.ConnectTimeoutMs), Is.EqualTo(("api", "default", "default", "", "grpc", 250L)));
            Assert.That(over.Limits, Is.EqualTo(new UpstreamLimits { MaxConnections = 0 }));
            Assert.That(over.PassiveHealthCheck, Is.Null);
        });
    }

    [Test]
    public void Service_router_is_read_with_every_field()
    {
        var entry = Single<ServiceRouterEntry>(ConfigEntryKind.ServiceRouter, """
            {"Kind":"service-router","Name":"web","Routes":[
              {"Match":{"HTTP":{"PathPrefix":"/api","PathExact":"/x","PathRegex":"/y.*",
                 "Header":[{"Name":"x-a","Present":true,"Exact":"e","Prefix":"p","Suffix":"s","Regex":"r","Invert":true}],
                 "QueryParam":[{"Name":"q","Present":true,"Exact":"e","Regex":"r"}],
                 "Methods":["GET","POST"]}},
               "Destination":{"Service":"api","ServiceSubset":"v2","Namespace":"default","Partition":"default","PrefixRewrite":"/",
                 "RequestTimeout":"15s","IdleTimeout":"1m30s","NumRetries":3,"RetryOnConnectFailure":true,
                 "RetryOn":["5xx"],"RetryOnStatusCodes":[503],
                 "RequestHeaders":{"Add":{"a":"1"},"Set":{"s":"2"},"Remove":["r"]},
                 "ResponseHeaders":{"Remove":["server"]}}},
              {}]}
            """);

        var route = entry.Routes![0];
        var http = route.Match!.Http!;
        var destination = route.Destination!;
        Assert.Multiple(() =>
        {
            Assert.That((http.PathPrefix, http.PathExact, http.PathRegex), Is.EqualTo(("/api", "/x", "/y.*")));
            Assert.That(http.Header!.Single(), Is.EqualTo(new RouteHeaderMatch
            {
                Name = "x-a",
                Present = true,
                Exact = "e",
                Prefix = "p",
                Suffix = "s",
                Regex = "r",
                Invert = true,
            }));
            Assert.That(http.QueryParam!.Single(), Is.EqualTo(new RouteQueryParamMatch { Name = "q", Present = true, Exact = "e", Regex = "r" }));
            Assert.That(http.Methods, Is.EqualTo(new[] { "GET", "POST" }));
            Assert.That((destination.Service, destination.ServiceSubset, destination.Namespace, destination.Partition, destination.PrefixRewrite),
                Is.EqualTo(("api", "v2", "default", "default", "/")));
            Assert.That((destination.RequestTimeout, destination.IdleTimeout), Is.EqualTo((TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(90))));
            Assert.That((destination.NumRetries, destination.RetryOnConnectFailure), Is.EqualTo((3u, true)));
            Assert.That(destination.RetryOn, Is.EqualTo(new[] { "5xx" }));
            Assert.That(destination.RetryOnStatusCodes, Is.EqualTo(new[] { 503u }));
            Assert.That(destination.RequestHeaders!.Add, Is.EqualTo(new Dictionary<string, string> { ["a"] = "1" }));
            Assert.That(destination.RequestHeaders.Set, Is.EqualTo(new Dictionary<string, string> { ["s"] = "2" }));
            Assert.That(destination.RequestHeaders.Remove, Is.EqualTo(new[] { "r" }));
            Assert.That(destination.ResponseHeaders!.Remove, Is.EqualTo(new[] { "server" }));
            Assert.That(entry.Routes[1], Is.EqualTo(new ServiceRoute()));
        });
    }

    [Test]
    public void Service_splitter_is_read_with_every_field_and_weights_exactly()
    {
        var entry = Single<ServiceSplitterEntry>(ConfigEntryKind.ServiceSplitter, """
            {"Kind":"service-splitter","Name":"web","Splits":[
              {"Weight":33.33,"Service":"api","ServiceSubset":"v1","Namespace":"default","Partition":"default",
               "RequestHeaders":{"Set":{"x-split":"a"}},"ResponseHeaders":{"Add":{"x-from":"a"}}},
              {"Weight":66.67}]}
            """);

        var first = entry.Splits![0];
        Assert.Multiple(() =>
        {
            Assert.That(entry.Splits.Select(s => s.Weight), Is.EqualTo(new[] { 33.33m, 66.67m }));
            Assert.That((first.Service, first.ServiceSubset, first.Namespace, first.Partition), Is.EqualTo(("api", "v1", "default", "default")));
            Assert.That(first.RequestHeaders!.Set, Is.EqualTo(new Dictionary<string, string> { ["x-split"] = "a" }));
            Assert.That(first.ResponseHeaders!.Add, Is.EqualTo(new Dictionary<string, string> { ["x-from"] = "a" }));
        });
    }

    [Test]
    public void Service_resolver_is_read_with_every_field()
    {
        var entry = Single<ServiceResolverEntry>(ConfigEntryKind.ServiceResolver, """
            {"Kind":"service-resolver","Name":"web","DefaultSubset":"v1",
             "Subsets":{"v1":{"Filter":"Service.Meta.version == 1","OnlyPassing":true},"v2":{}},
             "Redirect":{"Service":"api","ServiceSubset":"v2","Namespace":"default","Partition":"default","Datacenter":"dc2","Peer":"p","SamenessGroup":"g"},
             "Failover":{"*":{"Service":"b","ServiceSubset":"s","Namespace":"default","Datacenters":["dc2","dc3"],
                 "Targets":[{"Service":"t","ServiceSubset":"ts","Namespace":"default","Partition":"default","Datacenter":"dc4","Peer":"tp"}],
                 "Policy":{"Mode":"order-by-locality","Regions":["eu"]},"SamenessGroup":"g"}},
             "ConnectTimeout":"5s","RequestTimeout":"1m",
             "LoadBalancer":{"Policy":"ring_hash","RingHashConfig":{"MinimumRingSize":1024,"MaximumRingSize":8192},
               "LeastRequestConfig":{"ChoiceCount":3},
               "HashPolicies":[{"Field":"cookie","FieldValue":"id","CookieConfig":{"Session":true,"TTL":"10s","Path":"/p"},"SourceIP":true,"Terminal":true}]}}
            """);

        var failover = entry.Failover!["*"];
        var lb = entry.LoadBalancer!;
        Assert.Multiple(() =>
        {
            Assert.That(entry.DefaultSubset, Is.EqualTo("v1"));
            Assert.That(entry.Subsets!["v1"], Is.EqualTo(new ResolverSubset { Filter = "Service.Meta.version == 1", OnlyPassing = true }));
            Assert.That(entry.Subsets["v2"], Is.EqualTo(new ResolverSubset()));
            Assert.That(entry.Redirect, Is.EqualTo(new ResolverRedirect
            {
                Service = "api",
                ServiceSubset = "v2",
                Namespace = "default",
                Partition = "default",
                Datacenter = "dc2",
                Peer = "p",
                SamenessGroup = "g",
            }));
            Assert.That((failover.Service, failover.ServiceSubset, failover.Namespace, failover.SamenessGroup), Is.EqualTo(("b", "s", "default", "g")));
            Assert.That(failover.Datacenters, Is.EqualTo(new[] { "dc2", "dc3" }));
            Assert.That(failover.Targets!.Single(), Is.EqualTo(new FailoverTarget
            {
                Service = "t",
                ServiceSubset = "ts",
                Namespace = "default",
                Partition = "default",
                Datacenter = "dc4",
                Peer = "tp",
            }));
            Assert.That(failover.Policy!.Mode, Is.EqualTo("order-by-locality"));
            Assert.That(failover.Policy.Regions, Is.EqualTo(new[] { "eu" }));
            Assert.That((entry.ConnectTimeout, entry.RequestTimeout), Is.EqualTo((TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1))));
            Assert.That(lb.Policy, Is.EqualTo("ring_hash"));
            Assert.That(lb.RingHashConfig, Is.EqualTo(new RingHashSettings { MinimumRingSize = 1024, MaximumRingSize = 8192 }));
            Assert.That(lb.LeastRequestConfig, Is.EqualTo(new LeastRequestSettings { ChoiceCount = 3 }));
            Assert.That(lb.HashPolicies!.Single(), Is.EqualTo(new ResolverHashPolicy
            {
                Field = "cookie",
                FieldValue = "id",
                CookieConfig = new HashCookieSettings { Session = true, TTL = TimeSpan.FromSeconds(10), Path = "/p" },
                SourceIP = true,
                Terminal = true,
            }));
        });
    }

    private const string EveryDurationResolver =
        """{"Kind":"service-resolver","Name":"r","ConnectTimeout":@D@,"RequestTimeout":@D@,"LoadBalancer":{"Policy":"ring_hash","HashPolicies":[{"Field":"cookie","FieldValue":"c","CookieConfig":{"TTL":@D@}}]}}""";

    private const string EveryDurationRouter =
        """{"Kind":"service-router","Name":"r","Routes":[{"Destination":{"RequestTimeout":@D@,"IdleTimeout":@D@}}]}""";

    private const string EveryDurationDefaults =
        """{"Kind":"service-defaults","Name":"r","UpstreamConfig":{"Defaults":{"PassiveHealthCheck":{"Interval":@D@,"BaseEjectionTime":@D@}}}}""";

    [TestCase("\"1m30s\"", 90_000)]
    [TestCase("90000000000", 90_000)]
    [TestCase("\"250ms\"", 250)]
    [TestCase("250000000", 250)]
    [TestCase("\"1.5h\"", 5_400_000)]
    [TestCase("\"15s\"", 15_000)]
    [TestCase("15000000000", 15_000)]
    public void Every_duration_field_accepts_go_duration_text_and_integer_nanoseconds(string json, int milliseconds)
    {
        var expected = TimeSpan.FromMilliseconds(milliseconds);
        var resolver = Single<ServiceResolverEntry>(ConfigEntryKind.ServiceResolver, EveryDurationResolver.Replace("@D@", json));
        var router = Single<ServiceRouterEntry>(ConfigEntryKind.ServiceRouter, EveryDurationRouter.Replace("@D@", json));
        var defaults = Single<ServiceDefaultsEntry>(ConfigEntryKind.ServiceDefaults, EveryDurationDefaults.Replace("@D@", json));

        var destination = router.Routes![0].Destination!;
        var check = defaults.UpstreamConfig!.Defaults!.PassiveHealthCheck!;
        Assert.That(
            new[]
            {
                resolver.ConnectTimeout, resolver.RequestTimeout, resolver.LoadBalancer!.HashPolicies![0].CookieConfig!.TTL,
                destination.RequestTimeout, destination.IdleTimeout, check.Interval, check.BaseEjectionTime!.Value,
            },
            Is.All.EqualTo(expected));
    }

    [TestCase("\"\"")]
    [TestCase("null")]
    [TestCase("\"0s\"")]
    [TestCase("0")]
    public void Empty_null_and_zero_durations_read_as_zero_which_consul_takes_as_unset(string json)
    {
        var resolver = Single<ServiceResolverEntry>(ConfigEntryKind.ServiceResolver, EveryDurationResolver.Replace("@D@", json));

        Assert.That(resolver.ConnectTimeout, Is.EqualTo(TimeSpan.Zero));
    }

    [Test]
    public void Absent_base_ejection_time_stays_unset_and_absent_durations_are_zero()
    {
        var defaults = Single<ServiceDefaultsEntry>(ConfigEntryKind.ServiceDefaults,
            """{"Name":"web","UpstreamConfig":{"Defaults":{"PassiveHealthCheck":{"MaxFailures":1}}}}""");

        var check = defaults.UpstreamConfig!.Defaults!.PassiveHealthCheck!;
        Assert.Multiple(() =>
        {
            Assert.That(check.BaseEjectionTime, Is.Null);
            Assert.That(check.Interval, Is.EqualTo(TimeSpan.Zero));
        });
    }

    [Test]
    public void Unknown_fields_are_ignored_and_names_match_whatever_their_case()
    {
        var entry = Single<ServiceResolverEntry>(ConfigEntryKind.ServiceResolver, """
            {"kind":"SERVICE-RESOLVER","name":"web","hash":12345,"PrioritizeByLocality":{"Mode":"failover"},
             "connecttimeout":"3s","subsets":{"v1":{"filter":"Service.Tags contains v1","onlypassing":true,"Future":[1,{"x":null}]}},
             "Redirect":null,"Failover":{"*":{"datacenters":["dc2"],"NewField":{"deep":{"er":true}}}}}
            """);

        Assert.Multiple(() =>
        {
            Assert.That(entry.Name, Is.EqualTo("web"));
            Assert.That(entry.ConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(3)));
            Assert.That(entry.Subsets!["v1"], Is.EqualTo(new ResolverSubset { Filter = "Service.Tags contains v1", OnlyPassing = true }));
            Assert.That(entry.Redirect, Is.Null);
            Assert.That(entry.Failover!["*"].Datacenters, Is.EqualTo(new[] { "dc2" }));
        });
    }

    [Test]
    public void Entries_of_the_wrong_shape_are_left_out_naming_kind_name_field_and_value_and_the_others_are_kept()
    {
        var list = Decode(ConfigEntryKind.ServiceRouter, """
            [{"Kind":"service-router","Name":"good-1","Routes":[{"Destination":{"Service":"a"}}]},
             {"Kind":"service-router","Name":"retries","Routes":[{"Destination":{"NumRetries":"3"}}]},
             {"Kind":"service-router","Name":"timeout","Routes":[{},{"Destination":{"RequestTimeout":"15 seconds"}}]},
             {"Kind":"service-router","Name":"routes","Routes":{"Match":{}}},
             {"Kind":"service-router","Name":null},
             {"Kind":"service-router","Routes":[]},
             {"Kind":"service-splitter","Name":"stray"},
             7,
             {"Kind":"service-router","Name":"good-2"}]
            """);

        Assert.Multiple(() =>
        {
            Assert.That(list.Kind, Is.EqualTo(ConfigEntryKind.ServiceRouter));
            Assert.That(list.Entries.Select(e => e.Name), Is.EqualTo(new[] { "good-1", "good-2" }));
            Assert.That(list.Skipped.Select(s => (s.Kind, s.Name, s.Field, s.Value)), Is.EqualTo(new[]
            {
                ("service-router", "retries", "Routes[0].Destination.NumRetries", "\"3\""),
                ("service-router", "timeout", "Routes[1].Destination.RequestTimeout", "\"15 seconds\""),
                ("service-router", "routes", "Routes", """{"Match":{}}"""),
                ("service-router", "", "Name", "null"),
                ("service-router", "", "(entry)", "7"),
                ("service-router", "", "Name", "(missing)"),
                ("service-router", "stray", "Kind", "\"service-splitter\""),
            }));
            Assert.That(list.Skipped[1].Reason, Does.Contain("not a duration"));
            Assert.That(list.Skipped[0].Reason, Is.EqualTo("Cannot get the value of a token type 'String' as a number."));
            Assert.That(list.Skipped[2].Reason, Does.Not.Contain("Path:"));
        });
    }

    [Test]
    public void A_list_that_decodes_whole_skips_nothing()
    {
        var list = Decode(ConfigEntryKind.ServiceSplitter, """[{"Name":"a","Splits":[{"Weight":100}]},{"Name":"b","Splits":[{"Weight":100}]}]""");

        Assert.Multiple(() =>
        {
            Assert.That(list.Entries.Select(e => e.Name), Is.EqualTo(new[] { "a", "b" }));
            Assert.That(list.Entries, Is.All.InstanceOf<ServiceSplitterEntry>());
            Assert.That(list.Skipped, Is.Empty);
        });
    }

    [TestCase("null")]
    [TestCase("[]")]
    public void Json_null_and_an_empty_array_are_an_empty_list(string body)
    {
        var list = Decode(ConfigEntryKind.ServiceDefaults, body);

        Assert.Multiple(() =>
        {
            Assert.That(list.Entries, Is.Empty);
            Assert.That(list.Skipped, Is.Empty);
        });
    }

    [TestCase("""{"Name":"web"}""", "an object")]
    [TestCase("\"web\"", "a string")]
    [TestCase("true", "a boolean")]
    public void Body_that_is_not_an_array_is_a_bad_answer_as_a_whole(string body, string found)
    {
        var error = Assert.Throws<JsonException>(() => Decode(ConfigEntryKind.ServiceResolver, body))!;

        Assert.That(error.Message, Is.EqualTo($"expected a JSON array of service-resolver config entries, found {found}"));
    }

    [TestCase("""[{"Name":"a"},{"Name":"b" """)]
    [TestCase("")]
    public void Truncated_or_empty_body_is_a_bad_answer_as_a_whole(string body)
    {
        Assert.Catch<JsonException>(() => Decode(ConfigEntryKind.ServiceResolver, body));
    }
}
