namespace Bridge.Testing.Consul;

/// <summary>
/// Registrations at and beyond the edges of what Consul accepts, one field class at a time, each with what Consul
/// does with it (the rules are Consul's own: agent/agent_endpoint.go <c>AgentRegisterService</c>, agent/agent.go
/// <c>validateService</c>/<c>addServiceInternal</c>, agent/structs/structs.go <c>ValidateWeights</c>,
/// <c>ValidateServiceMetadata</c>, <c>NodeService.Validate</c>, <c>ToServiceNode</c>, agent/consul/catalog_endpoint.go
/// <c>Register</c>). Every accepted one is something a real cluster can hold and a watcher must cope with; every
/// refused one is something Consul never lets in. Service names are unique across the whole set, so all accepted
/// registrations can go into one agent.
/// </summary>
public static class ExtremeRegistrations
{
    private const string MeshGatewayPortRule = "1 error occurred:\n\t* Port must be non-zero for a mesh-gateway\n\n";

    /// <summary>Every case, all field classes.</summary>
    public static IReadOnlyList<ExtremeRegistration> All { get; } =
    [
        .. Names(), .. Ids(), .. Ports(), .. Weights(), .. Addresses(), .. TaggedAddresses(), .. Meta(), .. Tags(), .. Kinds(), .. Nodes(),
    ];

    /// <summary>The cases Consul accepts.</summary>
    public static IEnumerable<ExtremeRegistration> Accepted => All.Where(c => c.Accepted);

    /// <summary>The cases Consul refuses.</summary>
    public static IEnumerable<ExtremeRegistration> Refused => All.Where(c => !c.Accepted);

    /// <summary>
    /// Service name: any non-empty string. Names DNS cannot carry (over 63 bytes, dots, spaces, slashes, non-ASCII)
    /// only earn a log warning. Empty is refused (400 <c>Missing service name</c>). Read back with the name
    /// percent-escaped in the path: Consul unescapes the whole path, <c>%2F</c> included.
    /// </summary>
    public static IEnumerable<ExtremeRegistration> Names()
    {
        const string c = "Name";
        yield return AgentService(c, "a single character", "a", new JsonObject());
        yield return AgentService(c, "63 characters, the longest DNS label", new string('n', 63), new JsonObject());
        yield return AgentService(c, "64 characters, too long for DNS but accepted", new string('n', 64), new JsonObject());
        yield return AgentService(c, "1000 characters", "long-" + new string('x', 995), new JsonObject());
        yield return AgentService(c, "upper case", "NAME-UPPER", new JsonObject());
        yield return AgentService(c, "dots and underscores", "name_v1.internal", new JsonObject());
        yield return AgentService(c, "spaces inside and around", " name with spaces ", new JsonObject());
        yield return AgentService(c, "a slash, reached as %2F", "team/name", new JsonObject());
        yield return AgentService(c, "a question mark and a percent sign", "name?100%", new JsonObject());
        yield return AgentService(c, "non-ASCII letters", "nämé-ünïcödé", new JsonObject());
        yield return AgentRefused(c, "empty", new JsonObject { ["Name"] = string.Empty }, 400, "Missing service name");
    }

    /// <summary>Service ID: any string; an empty or absent ID becomes the name. IDs are unique per node only.</summary>
    public static IEnumerable<ExtremeRegistration> Ids()
    {
        const string c = "ID";
        yield return AgentService(c, "an ID with colons, slashes and non-ASCII", "id-odd", new JsonObject { ["ID"] = "id-odd:1/2 ü" }, id: "id-odd:1/2 ü");
        yield return AgentService(c, "an ID of 500 characters", "id-long", new JsonObject { ["ID"] = new string('i', 500) }, id: new string('i', 500));
        yield return AgentService(c, "an empty ID becomes the name", "id-empty", new JsonObject { ["ID"] = string.Empty }, id: "id-empty");
        yield return CatalogService(c, "a catalog service with no ID takes its name", "id-catalog-default", new JsonObject());
        yield return CatalogRefused(c, "a catalog service with an ID and no name", "id-no-name", new JsonObject { ["ID"] = "id-no-name", ["Service"] = string.Empty },
            "Must provide service name (Service.Service) when service ID is provided");
    }

    /// <summary>
    /// Port: any number Go's 64-bit <c>int</c> holds, negative and above 65535 included, on both endpoints; only a
    /// proxy or a mesh/terminating gateway needs a non-zero port. A port of 0 is left out of the health entry
    /// (<c>omitempty</c>). A number beyond 64 bits, a fraction or a string is a decode error (400).
    /// </summary>
    public static IEnumerable<ExtremeRegistration> Ports()
    {
        const string c = "Port";
        yield return AgentService(c, "0, which the health entry leaves out", "port-zero", new JsonObject { ["Port"] = 0 }, Field("Service.Port", null));
        yield return AgentService(c, "1", "port-one", new JsonObject { ["Port"] = 1 }, Field("Service.Port", "1"));
        yield return AgentService(c, "65535, the largest TCP port", "port-65535", new JsonObject { ["Port"] = 65535 }, Field("Service.Port", "65535"));
        yield return AgentService(c, "65536, past TCP's range", "port-65536", new JsonObject { ["Port"] = 65536 }, Field("Service.Port", "65536"));
        yield return AgentService(c, "-1", "port-negative", new JsonObject { ["Port"] = -1 }, Field("Service.Port", "-1"));
        yield return AgentService(c, "2147483648, past 32 bits", "port-2pow31", new JsonObject { ["Port"] = 2147483648L }, Field("Service.Port", "2147483648"));
        yield return AgentService(c, "the largest 64-bit number", "port-max", new JsonObject { ["Port"] = long.MaxValue }, Field("Service.Port", "9223372036854775807"));
        yield return AgentService(c, "the smallest 64-bit number", "port-min", new JsonObject { ["Port"] = long.MinValue }, Field("Service.Port", "-9223372036854775808"));
        yield return CatalogService(c, "a catalog port past 32 bits", "port-catalog-big", new JsonObject { ["Port"] = 4294967296L }, Field("Service.Port", "4294967296"));
        yield return AgentRefused(c, "one past the largest 64-bit number", new JsonObject { ["Name"] = "port-overflow", ["Port"] = 9223372036854775808m }, 400, "Request decode failed: ", prefix: true);
        yield return AgentRefused(c, "a fraction", new JsonObject { ["Name"] = "port-fraction", ["Port"] = 80.5m }, 400, "Request decode failed: ", prefix: true);
        yield return AgentRefused(c, "a string", new JsonObject { ["Name"] = "port-string", ["Port"] = "8080" }, 400, "Request decode failed: ", prefix: true);
    }

    /// <summary>
    /// Weights (agent): absent or null means passing 1, warning 1; given, Passing must be 1 to 65535 and Warning 0
    /// to 65535 (<c>ValidateWeights</c>), else 400 <c>Invalid Weights: ...</c>; a missing Warning is 0. Weights
    /// (catalog): never refused, but <c>ToServiceNode</c> replaces any pair <c>ValidateWeights</c> rejects with 1/1.
    /// </summary>
    public static IEnumerable<ExtremeRegistration> Weights()
    {
        const string c = "Weights";
        yield return AgentService(c, "absent: 1 and 1", "weights-absent", new JsonObject(), Field("Service.Weights", """{"Passing":1,"Warning":1}"""));
        yield return AgentService(c, "null: 1 and 1", "weights-null", new JsonObject { ["Weights"] = null }, Field("Service.Weights", """{"Passing":1,"Warning":1}"""));
        yield return AgentService(c, "passing 1, warning 0: the smallest", "weights-min", Weights(1, 0), Field("Service.Weights", """{"Passing":1,"Warning":0}"""));
        yield return AgentService(c, "65535 and 65535: the largest SRV weights", "weights-max", Weights(65535, 65535), Field("Service.Weights", """{"Passing":65535,"Warning":65535}"""));
        yield return AgentService(c, "only Passing given: Warning is 0", "weights-no-warning", new JsonObject { ["Weights"] = new JsonObject { ["Passing"] = 7 } },
            Field("Service.Weights", """{"Passing":7,"Warning":0}"""));
        yield return AgentRefused(c, "passing 0", WithName("weights-passing-zero", Weights(0, 1)), 400, "Invalid Weights: Passing must be greater than 0");
        yield return AgentRefused(c, "an empty object: passing 0", new JsonObject { ["Name"] = "weights-empty", ["Weights"] = new JsonObject() }, 400, "Invalid Weights: Passing must be greater than 0");
        yield return AgentRefused(c, "passing -1", WithName("weights-passing-negative", Weights(-1, 1)), 400, "Invalid Weights: Passing must be greater than 0");
        yield return AgentRefused(c, "warning -1", WithName("weights-warning-negative", Weights(1, -1)), 400, "Invalid Weights: Warning must be greater or equal than 0");
        yield return AgentRefused(c, "passing 65536", WithName("weights-passing-65536", Weights(65536, 1)), 400, "Invalid Weights: DNS Weight must be between 0 and 65535");
        yield return AgentRefused(c, "warning 65536", WithName("weights-warning-65536", Weights(1, 65536)), 400, "Invalid Weights: DNS Weight must be between 0 and 65535");
        yield return AgentRefused(c, "passing 4294967295", WithName("weights-passing-uint32", Weights(4294967295L, 1)), 400, "Invalid Weights: DNS Weight must be between 0 and 65535");
        yield return AgentRefused(c, "passing the largest 64-bit number", WithName("weights-passing-int64", Weights(long.MaxValue, 1)), 400, "Invalid Weights: DNS Weight must be between 0 and 65535");
        yield return CatalogService(c, "catalog: 65535 and 0 kept", "weights-catalog-max", Weights(65535, 0), Field("Service.Weights", """{"Passing":65535,"Warning":0}"""));
        yield return CatalogService(c, "catalog: passing 0 silently becomes 1/1", "weights-catalog-zero", Weights(0, 5), Field("Service.Weights", """{"Passing":1,"Warning":1}"""));
        yield return CatalogService(c, "catalog: passing 4294967295 silently becomes 1/1", "weights-catalog-uint32", Weights(4294967295L, 3), Field("Service.Weights", """{"Passing":1,"Warning":1}"""));
    }

    /// <summary>
    /// Address: any string but exactly <c>0.0.0.0</c>, <c>::</c> or <c>[::]</c> (<c>ipaddr.IsAny</c>; agent 400, catalog
    /// 500 <c>Invalid service address</c>). On the agent, an address Go parses as an IP adds <c>lan_ipv4</c>/<c>wan_ipv4</c>
    /// (IPv4 and IPv4-mapped IPv6) or <c>lan_ipv6</c>/<c>wan_ipv6</c> tagged addresses; anything else (host names,
    /// brackets, zones, leading zeros, short forms) adds none.
    /// </summary>
    public static IEnumerable<ExtremeRegistration> Addresses()
    {
        const string c = "Address";
        yield return AgentService(c, "empty: use the node's", "address-empty", Address(string.Empty, 80),
            Field("Service.Address", "\"\""), Field("Service.TaggedAddresses", null));
        yield return AgentService(c, "IPv4 fills lan_ipv4 and wan_ipv4", "address-ipv4", Address("10.0.0.1", 80),
            Field("Service.TaggedAddresses.lan_ipv4", """{"Address":"10.0.0.1","Port":80}"""), Field("Service.TaggedAddresses.wan_ipv4", """{"Address":"10.0.0.1","Port":80}"""));
        yield return AgentService(c, "IPv6 fills lan_ipv6 and wan_ipv6", "address-ipv6", Address("2001:db8::1", 443),
            Field("Service.Address", "\"2001:db8::1\""), Field("Service.TaggedAddresses.lan_ipv6", """{"Address":"2001:db8::1","Port":443}"""),
            Field("Service.TaggedAddresses.lan_ipv4", null));
        yield return AgentService(c, "IPv4-mapped IPv6 counts as IPv4", "address-mapped", Address("::ffff:10.0.0.2", 80),
            Field("Service.TaggedAddresses.lan_ipv4", """{"Address":"::ffff:10.0.0.2","Port":80}"""), Field("Service.TaggedAddresses.lan_ipv6", null));
        yield return AgentService(c, "a host name: no tagged addresses", "address-host", Address("web.example.com", 80),
            Field("Service.Address", "\"web.example.com\""), Field("Service.TaggedAddresses", null));
        yield return AgentService(c, "a bracketed IPv6 address is not an IP to Go", "address-bracketed", Address("[2001:db8::2]", 80),
            Field("Service.Address", "\"[2001:db8::2]\""), Field("Service.TaggedAddresses", null));
        yield return AgentService(c, "a zoned IPv6 address is not an IP to Go", "address-zoned", Address("fe80::1%eth0", 80), Field("Service.TaggedAddresses", null));
        yield return AgentService(c, "an IPv4 address with a leading zero is not an IP to Go", "address-leading-zero", Address("010.0.0.1", 80), Field("Service.TaggedAddresses", null));
        yield return AgentService(c, "a short IPv4 form is not an IP to Go", "address-short", Address("10.1", 80), Field("Service.TaggedAddresses", null));
        yield return AgentService(c, "the wildcard spelled out in full is allowed", "address-wildcard-long", Address("0:0:0:0:0:0:0:0", 80),
            Field("Service.Address", "\"0:0:0:0:0:0:0:0\""));
        yield return AgentService(c, "1000 characters", "address-long", Address(new string('a', 1000), 80), Field("Service.Address", "\"" + new string('a', 1000) + "\""));
        yield return AgentRefused(c, "0.0.0.0", WithName("address-any-v4", Address("0.0.0.0", 80)), 400, "Invalid service address");
        yield return AgentRefused(c, "::", WithName("address-any-v6", Address("::", 80)), 400, "Invalid service address");
        yield return AgentRefused(c, "[::]", WithName("address-any-v6-bracketed", Address("[::]", 80)), 400, "Invalid service address");
        yield return CatalogRefused(c, "catalog: 0.0.0.0", "address-catalog-any", Address("0.0.0.0", 80), "Invalid service address");
    }

    /// <summary>
    /// Tagged addresses (agent): any key and port; <c>lan_ipv4</c> and <c>wan_ipv4</c> must be IPv4 to Go (IPv4-mapped
    /// IPv6 included) and <c>lan_ipv6</c> IPv6, else 500 <c>Service tagged address "lan_ipv4" must be a valid ipv4
    /// address</c>; <c>wan_ipv6</c> is never checked. Given ones win over the defaults from the address. Tagged
    /// addresses (catalog): never checked.
    /// </summary>
    public static IEnumerable<ExtremeRegistration> TaggedAddresses()
    {
        const string c = "TaggedAddresses";
        yield return AgentService(c, "a custom key with the largest port", "tagged-custom", Tagged("10.0.0.5", ("virtual", "10.9.0.1", long.MaxValue)),
            Field("Service.TaggedAddresses.virtual", """{"Address":"10.9.0.1","Port":9223372036854775807}"""));
        yield return AgentService(c, "wan_ipv6 is never checked", "tagged-wan-ipv6-anything", Tagged(string.Empty, ("wan_ipv6", "not an address", 1)),
            Field("Service.TaggedAddresses.wan_ipv6", """{"Address":"not an address","Port":1}"""));
        yield return AgentService(c, "lan_ipv4 given wins over the one from the address", "tagged-override", Tagged("10.0.0.6", ("lan_ipv4", "192.0.2.1", 9)),
            Field("Service.TaggedAddresses.lan_ipv4", """{"Address":"192.0.2.1","Port":9}"""), Field("Service.TaggedAddresses.wan_ipv4", """{"Address":"10.0.0.6","Port":8080}"""));
        yield return AgentService(c, "lan_ipv4 may be IPv4-mapped IPv6", "tagged-lan-ipv4-mapped", Tagged(string.Empty, ("lan_ipv4", "::ffff:192.0.2.2", 1)),
            Field("Service.TaggedAddresses.lan_ipv4", """{"Address":"::ffff:192.0.2.2","Port":1}"""));
        yield return AgentRefused(c, "lan_ipv4 holding IPv6", WithName("tagged-lan-ipv4-v6", Tagged(string.Empty, ("lan_ipv4", "2001:db8::1", 1))), 500,
            "Service tagged address \"lan_ipv4\" must be a valid ipv4 address");
        yield return AgentRefused(c, "wan_ipv4 holding a host name", WithName("tagged-wan-ipv4-host", Tagged(string.Empty, ("wan_ipv4", "host.example", 1))), 500,
            "Service tagged address \"wan_ipv4\" must be a valid ipv4 address");
        yield return AgentRefused(c, "lan_ipv6 holding IPv4", WithName("tagged-lan-ipv6-v4", Tagged(string.Empty, ("lan_ipv6", "10.0.0.1", 1))), 500,
            "Service tagged address \"lan_ipv6\" must be a valid ipv6 address");
        yield return AgentRefused(c, "lan_ipv6 holding IPv4-mapped IPv6, which Go calls IPv4", WithName("tagged-lan-ipv6-mapped", Tagged(string.Empty, ("lan_ipv6", "::ffff:10.0.0.1", 1))), 500,
            "Service tagged address \"lan_ipv6\" must be a valid ipv6 address");
        yield return CatalogService(c, "catalog: lan_ipv4 is not checked", "tagged-catalog-unchecked", Tagged(string.Empty, ("lan_ipv4", "not-an-ip", -1)),
            Field("Service.TaggedAddresses.lan_ipv4", """{"Address":"not-an-ip","Port":-1}"""));
    }

    /// <summary>
    /// Meta (agent, <c>ValidateServiceMetadata</c>): at most 64 pairs; keys non-blank, only <c>[a-zA-Z0-9_-]</c>, at most
    /// 128 characters, not starting with <c>consul-</c> (case-sensitive; a mesh gateway may use
    /// <c>consul-wan-federation</c>); values at most 512 bytes (bytes, not characters). Refusals are 400
    /// <c>Invalid Service Meta: ...</c>. Meta (catalog): not checked at all.
    /// </summary>
    public static IEnumerable<ExtremeRegistration> Meta()
    {
        const string c = "Meta";
        var sixtyFour = Pairs(64);
        yield return AgentService(c, "64 pairs", "meta-64-pairs", new JsonObject { ["Meta"] = sixtyFour }, Field("Service.Meta.k63", "\"v63\""));
        yield return AgentService(c, "a 128-character key", "meta-key-128", Meta(new string('k', 128), "v"), Field("Service.Meta." + new string('k', 128), "\"v\""));
        yield return AgentService(c, "every allowed key character", "meta-key-chars", Meta("aZ09_-", "v"), Field("Service.Meta.aZ09_-", "\"v\""));
        yield return AgentService(c, "a 512-byte value", "meta-value-512", Meta("k", new string('v', 512)), Field("Service.Meta.k", "\"" + new string('v', 512) + "\""));
        yield return AgentService(c, "256 two-byte characters: 512 bytes", "meta-value-512-bytes", Meta("k", new string('é', 256)), Field("Service.Meta.k", "\"" + new string('é', 256) + "\""));
        yield return AgentService(c, "an empty value and a value with newlines", "meta-value-odd", Meta(("empty", string.Empty), ("lines", "a\nb\r\n")),
            Field("Service.Meta.empty", "\"\""), Field("Service.Meta.lines", "\"a\\nb\\r\\n\""));
        yield return AgentService(c, "the reserved prefix is case-sensitive", "meta-consul-upper", Meta("Consul-x", "v"), Field("Service.Meta.Consul-x", "\"v\""));
        yield return AgentService(c, "a mesh gateway may use consul-wan-federation", "meta-wan-federation",
            new JsonObject { ["Kind"] = "mesh-gateway", ["Port"] = 8443, ["Meta"] = new JsonObject { ["consul-wan-federation"] = "1" } },
            Field("Service.Meta.consul-wan-federation", "\"1\""), Field("Service.Kind", "\"mesh-gateway\""));
        yield return AgentRefused(c, "65 pairs", new JsonObject { ["Name"] = "meta-65-pairs", ["Meta"] = Pairs(65) }, 400,
            "Invalid Service Meta: Node metadata cannot contain more than 64 key/value pairs");
        yield return AgentRefused(c, "a blank key", WithName("meta-key-blank", Meta(string.Empty, "v")), 400,
            "Invalid Service Meta: Couldn't load metadata pair ('', 'v'): Key cannot be blank");
        yield return AgentRefused(c, "a key with a space", WithName("meta-key-space", Meta("a b", "v")), 400,
            "Invalid Service Meta: Couldn't load metadata pair ('a b', 'v'): Key contains invalid characters");
        yield return AgentRefused(c, "a key with a dot", WithName("meta-key-dot", Meta("a.b", "v")), 400,
            "Invalid Service Meta: Couldn't load metadata pair ('a.b', 'v'): Key contains invalid characters");
        yield return AgentRefused(c, "a key ending in a newline", WithName("meta-key-newline", Meta("a\n", "v")), 400,
            "Invalid Service Meta: Couldn't load metadata pair ('a\n', 'v'): Key contains invalid characters");
        yield return AgentRefused(c, "a 129-character key", WithName("meta-key-129", Meta(new string('k', 129), "v")), 400,
            $"Invalid Service Meta: Couldn't load metadata pair ('{new string('k', 129)}', 'v'): Key is too long (limit: 128 characters)");
        yield return AgentRefused(c, "the reserved consul- prefix", WithName("meta-key-reserved", Meta("consul-version", "1")), 400,
            "Invalid Service Meta: Couldn't load metadata pair ('consul-version', '1'): Key prefix 'consul-' is reserved for internal use");
        yield return AgentRefused(c, "a 513-byte value", WithName("meta-value-513", Meta("k", new string('v', 513))), 400,
            $"Invalid Service Meta: Couldn't load metadata pair ('k', '{new string('v', 513)}'): Value is too long (limit: 512 characters)");
        yield return AgentRefused(c, "257 two-byte characters: 514 bytes", WithName("meta-value-514-bytes", Meta("k", new string('é', 257))), 400,
            $"Invalid Service Meta: Couldn't load metadata pair ('k', '{new string('é', 257)}'): Value is too long (limit: 512 characters)");
        yield return CatalogService(c, "catalog: reserved prefix, odd characters and 65 pairs are all kept", "meta-catalog-unchecked",
            new JsonObject { ["Meta"] = Pairs(63, ("consul-x", "1"), ("bad key!", "2")) },
            Field("Service.Meta.consul-x", "\"1\""), Field("Service.Meta.bad key!", "\"2\""), Field("Service.Meta.k62", "\"v62\""));
    }

    /// <summary>Tags: any strings, any number, kept as given (duplicates and empty strings included); null means none.</summary>
    public static IEnumerable<ExtremeRegistration> Tags()
    {
        const string c = "Tags";
        yield return AgentService(c, "null: an empty list", "tags-null", new JsonObject { ["Tags"] = null }, Field("Service.Tags", "[]"));
        yield return AgentService(c, "duplicates kept", "tags-duplicates", new JsonObject { ["Tags"] = new JsonArray("a", "a", "b") }, Field("Service.Tags", """["a","a","b"]"""));
        yield return AgentService(c, "an empty tag", "tags-empty-string", new JsonObject { ["Tags"] = new JsonArray(string.Empty) }, Field("Service.Tags", """[""]"""));
        yield return AgentService(c, "non-ASCII, spaces and a 1000-character tag", "tags-odd", new JsonObject { ["Tags"] = new JsonArray("ü n", new string('t', 1000)) },
            Field("Service.Tags", $"""["ü n","{new string('t', 1000)}"]"""));
        var many = new JsonArray([.. Enumerable.Range(0, 500).Select(i => (JsonNode?)JsonValue.Create("t" + i))]);
        yield return AgentService(c, "500 tags", "tags-500", new JsonObject { ["Tags"] = many }, Field("Service.Tags", many.ToJsonString()));
    }

    /// <summary>
    /// Kind: any string; a connect-proxy, mesh-gateway or terminating-gateway needs a non-zero port (agent 400
    /// <c>Validation failed: ...</c>, catalog 500, both as go-multierror text). Ingress and API gateways do not.
    /// </summary>
    public static IEnumerable<ExtremeRegistration> Kinds()
    {
        const string c = "Kind";
        yield return AgentService(c, "an ingress gateway without a port", "kind-ingress", new JsonObject { ["Kind"] = "ingress-gateway" },
            Field("Service.Kind", "\"ingress-gateway\""), Field("Service.Port", null));
        yield return AgentService(c, "a kind Consul does not know", "kind-unknown", new JsonObject { ["Kind"] = "banana", ["Port"] = 1 }, Field("Service.Kind", "\"banana\""));
        yield return AgentRefused(c, "a mesh gateway without a port", new JsonObject { ["Name"] = "kind-mesh-no-port", ["Kind"] = "mesh-gateway" }, 400,
            "Validation failed: " + MeshGatewayPortRule);
        yield return AgentRefused(c, "a terminating gateway without a port", new JsonObject { ["Name"] = "kind-terminating-no-port", ["Kind"] = "terminating-gateway" }, 400,
            "Validation failed: 1 error occurred:\n\t* Port must be non-zero for a terminating-gateway\n\n");
        yield return CatalogRefused(c, "catalog: a mesh gateway without a port", "kind-catalog-mesh", new JsonObject { ["Kind"] = "mesh-gateway" }, MeshGatewayPortRule);
    }

    /// <summary>
    /// Node (catalog): any non-empty name and address (500 <c>Must provide node</c> / <c>Must provide address if
    /// SkipNodeUpdate is not set</c>); an ID, if given, must be a UUID to go-uuid (500 <c>Bad node ID: ...</c>);
    /// node meta is not checked.
    /// </summary>
    public static IEnumerable<ExtremeRegistration> Nodes()
    {
        const string c = "Node";
        yield return CatalogService(c, "a node name with spaces and non-ASCII, and a host name for address", "node-odd", new JsonObject(),
            node: new JsonObject { ["Node"] = "nöde with spaces", ["Address"] = "node.example" }, echo: [Field("Node.Node", "\"nöde with spaces\""), Field("Node.Address", "\"node.example\"")]);
        yield return CatalogService(c, "an upper-case UUID node ID", "node-uuid", new JsonObject(),
            node: new JsonObject { ["Node"] = "node-uuid", ["Address"] = "10.2.0.1", ["ID"] = "ABCDEF01-2345-6789-ABCD-EF0123456789" },
            echo: [Field("Node.ID", "\"ABCDEF01-2345-6789-ABCD-EF0123456789\"")]);
        yield return CatalogService(c, "node meta with the reserved prefix", "node-meta", new JsonObject(),
            node: new JsonObject { ["Node"] = "node-meta", ["Address"] = "10.2.0.2", ["NodeMeta"] = new JsonObject { ["consul-x"] = "y" } },
            echo: [Field("Node.Meta.consul-x", "\"y\"")]);
        yield return NodeRefused(c, "no node name", new JsonObject { ["Node"] = string.Empty, ["Address"] = "10.2.0.3" }, "node-nameless", "Must provide node");
        yield return NodeRefused(c, "no address", new JsonObject { ["Node"] = "node-no-address" }, "node-no-address", "Must provide address if SkipNodeUpdate is not set");
        yield return NodeRefused(c, "an ID that is not a UUID", new JsonObject { ["Node"] = "node-bad-id", ["Address"] = "10.2.0.4", ["ID"] = "node-1" }, "node-bad-id",
            "Bad node ID: uuid string is wrong length");
        yield return NodeRefused(c, "an ID of the right length without dashes", new JsonObject { ["Node"] = "node-no-dashes", ["Address"] = "10.2.0.5", ["ID"] = new string('a', 36) }, "node-no-dashes",
            "Bad node ID: uuid is improperly formatted");
        yield return NodeRefused(c, "an ID with a letter past f", new JsonObject { ["Node"] = "node-bad-hex", ["Address"] = "10.2.0.6", ["ID"] = "gbcdef01-2345-6789-abcd-ef0123456789" }, "node-bad-hex",
            "Bad node ID: encoding/hex: invalid byte: U+0067 'g'");
    }

    private static EchoedField Field(string path, string? json) => new(path.Split('.'), json);

    private static ExtremeRegistration AgentService(string fieldClass, string description, string name, JsonObject fields, params EchoedField[] echo) =>
        AgentService(fieldClass, description, name, fields, id: null, echo);

    private static ExtremeRegistration AgentService(string fieldClass, string description, string name, JsonObject fields, string? id, params EchoedField[] echo)
    {
        fields["Name"] = name;
        return new ExtremeRegistration
        {
            FieldClass = fieldClass,
            Description = description,
            Endpoint = RegistrationEndpoint.Agent,
            ServiceName = name,
            ServiceId = id ?? name,
            Body = fields.ToJsonString(),
            Echo = [Field("Service.Service", JsonValue.Create(name).ToJsonString()), .. echo],
        };
    }

    private static ExtremeRegistration AgentRefused(string fieldClass, string description, JsonObject body, int status, string text, bool prefix = false) => new()
    {
        FieldClass = fieldClass,
        Description = description,
        Endpoint = RegistrationEndpoint.Agent,
        ServiceName = body["Name"]?.GetValue<string>() ?? string.Empty,
        ServiceId = body["Name"]?.GetValue<string>() ?? string.Empty,
        Body = body.ToJsonString(),
        RefusedStatus = status,
        RefusedText = text,
        RefusedTextIsPrefix = prefix,
    };

    private static ExtremeRegistration CatalogService(string fieldClass, string description, string name, JsonObject service, params EchoedField[] echo) =>
        CatalogService(fieldClass, description, name, service, node: null, echo);

    private static ExtremeRegistration CatalogService(string fieldClass, string description, string name, JsonObject service, JsonObject? node, params EchoedField[] echo)
    {
        service["Service"] = name;
        var body = node ?? new JsonObject { ["Node"] = "node-" + name, ["Address"] = "10.1.0.1" };
        body["Service"] = service;
        return new ExtremeRegistration
        {
            FieldClass = fieldClass,
            Description = description,
            Endpoint = RegistrationEndpoint.Catalog,
            ServiceName = name,
            ServiceId = service["ID"]?.GetValue<string>() is { Length: > 0 } id ? id : name,
            Body = body.ToJsonString(),
            Echo = [Field("Service.Service", JsonValue.Create(name).ToJsonString()), .. echo],
        };
    }

    private static ExtremeRegistration CatalogRefused(string fieldClass, string description, string name, JsonObject service, string text)
    {
        service["Service"] ??= name;
        return NodeRefused(fieldClass, description, new JsonObject { ["Node"] = "node-" + name, ["Address"] = "10.1.0.1", ["Service"] = service }, name, text);
    }

    private static ExtremeRegistration NodeRefused(string fieldClass, string description, JsonObject body, string name, string text)
    {
        body["Service"] ??= new JsonObject { ["Service"] = name };
        return new ExtremeRegistration
        {
            FieldClass = fieldClass,
            Description = description,
            Endpoint = RegistrationEndpoint.Catalog,
            ServiceName = name,
            ServiceId = name,
            Body = body.ToJsonString(),
            RefusedStatus = 500,
            RefusedText = text,
        };
    }

    private static JsonObject WithName(string name, JsonObject fields)
    {
        fields["Name"] = name;
        return fields;
    }

    private static JsonObject Weights(long passing, long warning) =>
        new() { ["Weights"] = new JsonObject { ["Passing"] = passing, ["Warning"] = warning } };

    private static JsonObject Address(string address, long port) => new() { ["Address"] = address, ["Port"] = port };

    private static JsonObject Tagged(string address, params (string Key, string Address, long Port)[] tagged)
    {
        var map = new JsonObject();
        foreach (var (key, value, port) in tagged)
        {
            map[key] = new JsonObject { ["Address"] = value, ["Port"] = port };
        }

        return new JsonObject { ["Address"] = address, ["Port"] = 8080, ["TaggedAddresses"] = map };
    }

    private static JsonObject Meta(string key, string value) => Meta((key, value));

    private static JsonObject Meta(params (string Key, string Value)[] pairs)
    {
        var meta = new JsonObject();
        foreach (var (key, value) in pairs)
        {
            meta[key] = value;
        }

        return new JsonObject { ["Meta"] = meta };
    }

    private static JsonObject Pairs(int count, params (string Key, string Value)[] extra)
    {
        var meta = new JsonObject();
        for (var i = 0; i < count; i++)
        {
            meta["k" + i] = "v" + i;
        }

        foreach (var (key, value) in extra)
        {
            meta[key] = value;
        }

        return meta;
    }
}
