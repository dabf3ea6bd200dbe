namespace Bridge.Tests.DevAgent.ConfigEntries;

/// <summary>What Consul refuses in an entry, with its words: a 500, as its RPC errors reach HTTP clients, and nothing written.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class ConfigEntryValidationTests
{
    private const string HttpWeb = """{ "Kind": "service-defaults", "Name": "web", "Protocol": "http" }""";

    [TestCase("""{ "Kind": "service-defaults" }""", "Name is required")]
    [TestCase("""{ "Kind": "service-defaults", "Name": "*" }""", "service-defaults name must be the name of a service, and not a wildcard")]
    [TestCase("""{ "Kind": "service-defaults", "Name": "web", "MutualTLSMode": "loose" }""", "Invalid MutualTLSMode \"loose\". Must be one of \"\", \"strict\", or \"permissive\".")]
    [TestCase("""{ "Kind": "service-defaults", "Name": "web", "BalanceInboundConnections": "round" }""", "1 error occurred:\n\t* invalid value for balance_inbound_connections: round\n\n")]
    [TestCase("""{ "Kind": "service-defaults", "Name": "web", "UpstreamConfig": { "Overrides": [ { "Name": "db", "Limits": { "MaxConnections": -1 } } ] } }""",
        "1 error occurred:\n\t* error in upstream override for db: 1 error occurred:\n\t* max connections cannot be negative\n\n\n\n")]
    [TestCase("""{ "Kind": "service-defaults", "Name": "web", "UpstreamConfig": { "Defaults": { "Name": "db" } } }""", "1 error occurred:\n\t* error in upstream defaults: Name must be empty\n\n")]
    [TestCase("""{ "Kind": "service-defaults", "Name": "web", "UpstreamConfig": { "Defaults": { "PassiveHealthCheck": { "MaxEjectionPercent": 120 } } } }""",
        "1 error occurred:\n\t* error in upstream defaults: 1 error occurred:\n\t* passive health check max_ejection_percent must be a percentage between 0 and 100\n\n\n\n")]
    public Task Service_defaults(string body, string error) => AssertRefusedAsync(body, error);

    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Subsets": { "V1": {} } }""",
        "Subset \"V1\" is invalid: must be 63 characters or fewer, begin or end with lower case alphanumeric characters, and contain lower case alphanumeric characters or '-' in between")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Subsets": { "v1": { "Filter": "Service.Meta.version = 1" } } }""",
        "Filter for subset \"v1\" is not a valid expression: 1:22 (21): no match found, expected: \"!=\", \"==\", \"contains\", \"in\", \"is\", \"matches\", \"not\" or [ \\t\\r\\n]")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "DefaultSubset": "v3" }""", "DefaultSubset \"v3\" is not a valid subset")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Redirect": { "Service": "api" }, "Failover": { "*": { "Datacenters": [ "dc2" ] } } }""",
        "Redirect and Failover cannot both be set")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Redirect": {} }""", "Redirect is empty")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Redirect": { "ServiceSubset": "v1" } }""", "Redirect.ServiceSubset defined without Redirect.Service")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Redirect": { "Service": "web", "Namespace": "ops" } }""", "Redirect: Setting Namespace requires Consul Enterprise")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Failover": { "v1": { "Datacenters": [ "dc2" ] } } }""", "Bad Failover[\"v1\"]: not a valid subset subset")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Failover": { "*": {} } }""",
        "Bad Failover[\"*\"]: one of Service, ServiceSubset, Namespace, Targets, or Datacenters is required")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Failover": { "*": { "Datacenters": [ "dc2" ], "Targets": [ { "Datacenter": "dc3" } ] } } }""",
        "Bad Failover[\"*\"]: Targets cannot be set with Datacenters")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Failover": { "*": { "Datacenters": [ "" ] } } }""", "Bad Failover[\"*\"].Datacenters: found empty datacenter")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "Failover": { "*": { "Targets": [ { "Peer": "p", "Datacenter": "dc2" } ] } } }""",
        "Bad Failover[\"*\"].Targets[0]: Peer cannot be set with Datacenter")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "ConnectTimeout": "-5s" }""", "Bad ConnectTimeout '-5s', must be >= 0")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "LoadBalancer": { "Policy": "fastest" } }""", "Bad LoadBalancer policy: \"fastest\" is not supported")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "LoadBalancer": { "Policy": "round_robin", "HashPolicies": [ { "Field": "header", "FieldValue": "x-user" } ] } }""",
        "Bad LoadBalancer configuration: HashPolicies specified for non-hash-based Policy: \"round_robin\"")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "LoadBalancer": { "Policy": "maglev", "RingHashConfig": { "MinimumRingSize": 1024 } } }""",
        "Bad LoadBalancer configuration. RingHashConfig specified for incompatible load balancing policy \"maglev\"")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "LoadBalancer": { "Policy": "ring_hash", "HashPolicies": [ { "Field": "header" } ] } }""",
        "Bad LoadBalancer HashPolicy[0]: Field \"header\" was specified without a FieldValue")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "LoadBalancer": { "Policy": "ring_hash", "HashPolicies": [ { "SourceIP": true, "Field": "header", "FieldValue": "x" } ] } }""",
        "Bad LoadBalancer HashPolicy[0]: A single hash policy cannot hash both a source address and a \"header\"")]
    [TestCase("""{ "Kind": "service-resolver", "Name": "web", "LoadBalancer": { "Policy": "ring_hash", "HashPolicies": [ { "Field": "cookie", "FieldValue": "s", "CookieConfig": { "Session": true, "TTL": "1m" } } ] } }""",
        "Bad LoadBalancer HashPolicy[0]: a session cookie cannot have an associated TTL")]
    public Task Service_resolver(string body, string error) => AssertRefusedAsync(body, error);

    [TestCase("""{ "Kind": "service-splitter", "Name": "web" }""", "no splits configured")]
    [TestCase("""{ "Kind": "service-splitter", "Name": "web", "Splits": [ { "Weight": 60 }, { "Weight": 30, "Service": "api" } ] }""",
        "the sum of all split weights must be 100, not 90.000000")]
    [TestCase("""{ "Kind": "service-splitter", "Name": "web", "Splits": [ { "Weight": 33.333 }, { "Weight": 33.333, "Service": "api" }, { "Weight": 33.334, "Service": "db" } ] }""",
        "the sum of all split weights must be 100, not 99.989998")]
    [TestCase("""{ "Kind": "service-splitter", "Name": "web", "Splits": [ { "Weight": 50 }, { "Weight": 50, "Service": "web" } ] }""",
        "split destination occurs more than once: service=\"web\", subset=\"\", namespace=\"\", partition=\"\"")]
    public Task Service_splitter(string body, string error) => AssertRefusedAsync(body, error);

    [TestCase("""{ "Kind": "service-router", "Name": "web", "Routes": [ { "Match": { "HTTP": { "PathPrefix": "api" } } } ] }""",
        "Route[0] PathPrefix doesn't start with '/': \"api\"")]
    [TestCase("""{ "Kind": "service-router", "Name": "web", "Routes": [ { "Match": { "HTTP": { "PathExact": "/a", "PathRegex": "/b.*" } } } ] }""",
        "Route[0] should only contain at most one of PathExact, PathPrefix, or PathRegex")]
    [TestCase("""{ "Kind": "service-router", "Name": "web", "Routes": [ { "Match": { "HTTP": { "PathRegex": "/v2/.*" } }, "Destination": { "PrefixRewrite": "/" } } ] }""",
        "Route[0] cannot make use of PrefixRewrite without configuring either PathExact or PathPrefix")]
    [TestCase("""{ "Kind": "service-router", "Name": "web", "Routes": [ {}, { "Match": { "HTTP": { "Header": [ { "Name": "x", "Exact": "1", "Present": true } ] } } } ] }""",
        "Route[1] Header[0] should only contain one of Present, Exact, Prefix, Suffix, or Regex")]
    [TestCase("""{ "Kind": "service-router", "Name": "web", "Routes": [ { "Match": { "HTTP": { "QueryParam": [ { "Exact": "1" } ] } } } ] }""",
        "Route[0] QueryParam[0] missing required Name field")]
    [TestCase("""{ "Kind": "service-router", "Name": "web", "Routes": [ { "Match": { "HTTP": { "Methods": [ "GET", "fetch" ] } } } ] }""",
        "Route[0] Methods contains an invalid method \"FETCH\"")]
    [TestCase("""{ "Kind": "service-router", "Name": "web", "Routes": [ { "Match": { "HTTP": { "Methods": [ "get", "GET" ] } } } ] }""",
        "Route[0] Methods contains \"GET\" more than once")]
    [TestCase("""{ "Kind": "service-router", "Name": "web", "Routes": [ { "Destination": { "RetryOn": [ "5xx", "sometimes" ] } } ] }""",
        "Route[0] contains an invalid retry condition: \"sometimes\"")]
    public Task Service_router(string body, string error) => AssertRefusedAsync(body, error);

    // The state store compiles every chain the write touches (with the entry written) and refuses what does not compile.
    [TestCase(new string[0], """{ "Kind": "service-router", "Name": "web", "Routes": [ { "Match": { "HTTP": { "PathPrefix": "/a" } } } ] }""",
        "discovery chain \"web\" uses a protocol \"tcp\" that does not permit advanced routing or splitting behavior")]
    [TestCase(new[] { """{ "Kind": "service-defaults", "Name": "web", "Protocol": "tcp" }""" }, """{ "Kind": "service-splitter", "Name": "web", "Splits": [ { "Weight": 100 } ] }""",
        "discovery chain \"web\" uses a protocol \"tcp\" that does not permit advanced routing or splitting behavior")]
    [TestCase(new[] { HttpWeb, """{ "Kind": "service-defaults", "Name": "api", "Protocol": "grpc" }""" },
        """{ "Kind": "service-splitter", "Name": "web", "Splits": [ { "Weight": 50 }, { "Weight": 50, "Service": "api" } ] }""",
        "discovery chain \"web\" uses inconsistent protocols; service \"api\" has \"grpc\" which is not \"http\"")]
    [TestCase(new[] { HttpWeb, """{ "Kind": "service-resolver", "Name": "web", "Subsets": { "v1": { "Filter": "Service.Meta.version == v1" } } }""" },
        """{ "Kind": "service-splitter", "Name": "web", "Splits": [ { "Weight": 50, "ServiceSubset": "v1" }, { "Weight": 50, "ServiceSubset": "v9" } ] }""",
        "service \"web\" does not have a subset named \"v9\"")]
    [TestCase(new[] { """{ "Kind": "service-resolver", "Name": "a", "Redirect": { "Service": "b" } }""" },
        """{ "Kind": "service-resolver", "Name": "b", "Redirect": { "Service": "a" } }""",
        "detected circular resolver redirect: [a.default.default.dc1 -> b.default.default.dc1 -> a.default.default.dc1]")]
    [TestCase(new[] { """{ "Kind": "service-defaults", "Name": "a", "Protocol": "http" }""", """{ "Kind": "service-defaults", "Name": "b", "Protocol": "http" }""",
            """{ "Kind": "service-splitter", "Name": "a", "Splits": [ { "Weight": 100, "Service": "b" } ] }""" },
        """{ "Kind": "service-splitter", "Name": "b", "Splits": [ { "Weight": 100, "Service": "a" } ] }""",
        "detected circular reference: [splitter:a.default.default -> splitter:b.default.default -> splitter:a.default.default]")]
    [TestCase(new[] { HttpWeb, """{ "Kind": "service-defaults", "Name": "api", "Protocol": "http" }""",
            """{ "Kind": "service-router", "Name": "web", "Routes": [ { "Match": { "HTTP": { "PathPrefix": "/api" } }, "Destination": { "Service": "api" } } ] }""" },
        """{ "Kind": "service-defaults", "Name": "api", "Protocol": "grpc" }""",
        "discovery chain \"web\" uses inconsistent protocols; service \"api\" has \"grpc\" which is not \"http\"")]
    public async Task A_write_that_breaks_a_discovery_chain(string[] before, string body, string error)
    {
        await using var agent = await TestAgent.StartAsync();
        foreach (var entry in before)
        {
            await agent.PutConfigAsync(entry);
        }

        await AssertRefusedAsync(agent, body, error, before.Length);
    }

    [Test]
    public async Task Deleting_the_protocol_a_router_needs_is_refused_and_keeps_both_entries()
    {
        await using var agent = await TestAgent.StartAsync();
        await agent.PutConfigAsync(HttpWeb);
        await agent.PutConfigAsync("""{ "Kind": "service-router", "Name": "web", "Routes": [ { "Match": { "HTTP": { "PathPrefix": "/a" } } } ] }""");

        var reply = await agent.DeleteAsync("/v1/config/service-defaults/web");

        Assert.That((reply.Status, reply.Body), Is.EqualTo((HttpStatusCode.InternalServerError,
            "discovery chain \"web\" uses a protocol \"tcp\" that does not permit advanced routing or splitting behavior")));
        Assert.That(agent.Server.Catalog.ListConfigEntries(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Chains_that_do_compile_are_accepted_in_dependency_order()
    {
        await using var agent = await TestAgent.StartAsync();

        await agent.PutConfigAsync(HttpWeb);
        await agent.PutConfigAsync("""{ "Kind": "service-defaults", "Name": "web-v2", "Protocol": "http" }""");
        await agent.PutConfigAsync("""
            { "Kind": "service-resolver", "Name": "web", "DefaultSubset": "v1", "ConnectTimeout": "3s",
              "Subsets": { "v1": { "Filter": "Service.Meta.version == v1", "OnlyPassing": true }, "v2": { "Filter": "Service.Meta.version == v2" } },
              "Failover": { "*": { "Datacenters": [ "dc2", "dc3" ] } } }
            """);
        await agent.PutConfigAsync("""{ "Kind": "service-splitter", "Name": "web", "Splits": [ { "Weight": 90, "ServiceSubset": "v1" }, { "Weight": 10, "Service": "web-v2" } ] }""");
        await agent.PutConfigAsync("""
            { "Kind": "service-router", "Name": "web",
              "Routes": [ { "Match": { "HTTP": { "PathPrefix": "/beta", "Header": [ { "Name": "x-canary", "Present": true } ] } },
                            "Destination": { "ServiceSubset": "v2", "PrefixRewrite": "/", "NumRetries": 2, "RetryOn": [ "reset", "unavailable" ] } } ] }
            """);

        Assert.That(agent.Server.Catalog.ListConfigEntries(), Has.Count.EqualTo(5));
    }

    private static async Task AssertRefusedAsync(string body, string error)
    {
        await using var agent = await TestAgent.StartAsync();
        await AssertRefusedAsync(agent, body, error, 0);
    }

    private static async Task AssertRefusedAsync(TestAgent agent, string body, string error, int stored)
    {
        var index = agent.Server.Catalog.ConfigEntriesIndex;

        var reply = await agent.PutAsync("/v1/config", body);

        Assert.That((reply.Status, reply.Body), Is.EqualTo((HttpStatusCode.InternalServerError, error)));
        Assert.That(agent.Server.Catalog.ListConfigEntries(), Has.Count.EqualTo(stored));
        Assert.That(agent.Server.Catalog.ConfigEntriesIndex, Is.EqualTo(index));
    }
}
