using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Filtering;
using Bridge.DevAgent.Http;

namespace Bridge.Tests.DevAgent.Filtering;

/// <summary>Filters over <c>/v1/health/service</c> entries, evaluated and refused as go-bexpr v0.1.2 does for Consul.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class FilterEvaluationTests
{
    private static readonly HealthServiceEntry Web = Entry(
        "web-1",
        tags: ["v1", "canary"],
        meta: new() { ["version"] = "1.4.2", ["zone"] = "a" },
        checks: [("serfHealth", "passing", ""), ("service:web-1", "warning", "web-1")]);

    [TestCase("Service.ID == \"web-1\"", true)]
    [TestCase("Service.ID == web", false)]
    [TestCase("Service.ID != web", true)]
    [TestCase("Service.Port == 8080", true)]
    [TestCase("Service.Port == \"0x1F90\"", true)]
    [TestCase("Service.Port != 8080", false)]
    [TestCase("Service.EnableTagOverride == false", true)]
    [TestCase("Service.Weights.Passing == 3", true)]
    [TestCase("Node.Datacenter == dc1", true)]
    [TestCase("Node.Meta.zone == a", true)]
    [TestCase("Service.Meta.version == \"1.4.2\"", true)]
    public void Equality_compares_after_coercing_the_value_to_the_field(string expression, bool expected) =>
        Assert.That(Matches(expression, Web), Is.EqualTo(expected));

    [TestCase("v1 in Service.Tags", true)]
    [TestCase("Service.Tags contains canary", true)]
    [TestCase("Service.Tags contains v2", false)]
    [TestCase("v2 not in Service.Tags", true)]
    [TestCase("Service.Tags not contains v1", false)]
    [TestCase("\"-1\" in Service.ID", true)]
    [TestCase("Service.ID contains eb", true)]
    [TestCase("zone in Service.Meta", true)]
    [TestCase("Service.Meta contains region", false)]
    [TestCase("lan in Node.TaggedAddresses", true)]
    [TestCase("wan in Service.TaggedAddresses", true)]
    [TestCase("Service.TaggedAddresses.wan.Port == 9443", true)]
    public void In_and_contains_test_elements_of_lists_keys_of_maps_and_substrings_of_strings(string expression, bool expected) =>
        Assert.That(Matches(expression, Web), Is.EqualTo(expected));

    [TestCase("Service.Meta.version matches \"^1\\\\.4\"", true)]
    [TestCase("Service.Meta.version matches \"4\\\\.2\"", true)]
    [TestCase("Service.ID matches \"^web$\"", false)]
    [TestCase("Node.Node not matches \"^db-\"", true)]
    [TestCase("Service.Service matches \"(?P<name>we)b\"", true)]
    public void Matches_is_an_unanchored_regular_expression_search(string expression, bool expected) =>
        Assert.That(Matches(expression, Web), Is.EqualTo(expected));

    [TestCase("Service.Tags is empty", false)]
    [TestCase("Service.Tags is not empty", true)]
    [TestCase("Service.Meta is empty", false)]
    [TestCase("Checks is not empty", true)]
    [TestCase("Node.Meta is empty", false)]
    public void Emptiness_applies_to_lists_and_maps(string expression, bool expected) =>
        Assert.That(Matches(expression, Web), Is.EqualTo(expected));

    // Absent keys: == and in are false; every other operator holds, "matches" included.
    [TestCase("Service.Meta.owner == x", false)]
    [TestCase("Service.Meta.owner != x", true)]
    [TestCase("x in Service.Meta.owner", false)]
    [TestCase("x not in Service.Meta.owner", true)]
    [TestCase("Service.Meta.owner matches x", true)]
    [TestCase("Service.Meta.owner not matches x", true)]
    public void A_missing_map_key_decides_by_operator(string expression, bool expected) =>
        Assert.That(Matches(expression, Web), Is.EqualTo(expected));

    [TestCase("Checks.Status == warning", true)]
    [TestCase("Checks.Status == critical", false)]
    [TestCase("Checks.Status != passing", true)]
    [TestCase("not Checks.Status != passing", false)]
    [TestCase("Checks.ServiceID == \"\"", true)]
    public void A_selector_through_the_checks_matches_when_any_check_does(string expression, bool expected) =>
        Assert.That(Matches(expression, Web), Is.EqualTo(expected));

    [TestCase("Service.Port == 80 or Service.ID == \"web-1\"", true)]
    [TestCase("Service.Port == 80 and Service.ID == \"web-1\"", false)]
    [TestCase("Service.Port == 80 or Service.ID == \"web-1\" and Service.Port == 81", false)]
    [TestCase("(Service.Port == 80 or Service.ID == \"web-1\") and Service.Port == 8080", true)]
    [TestCase("not Service.Port == 80", true)]
    public void Boolean_operators_combine_with_their_precedence(string expression, bool expected) =>
        Assert.That(Matches(expression, Web), Is.EqualTo(expected));

    // Validation against the type's fields comes after parsing; each message carries Consul's prefix.
    [TestCase("Service.Foo == 1", "Selector \"Service.Foo\" is not valid")]
    [TestCase("Service.ID.Foo == 1", "Selector \"Service.ID.Foo\" is not valid")]
    [TestCase("service.ID == 1", "Selector \"service\" is not valid")]
    [TestCase("Service.Port matches \"8\"", "Invalid match operator \"Matches\" for selector \"Service.Port\"")]
    [TestCase("Service.Tags == v1", "Invalid match operator \"Equal\" for selector \"Service.Tags\"")]
    [TestCase("Checks == x", "Invalid match operator \"Equal\" for selector \"Checks\"")]
    [TestCase("Service.Weights is empty", "Invalid match operator \"Is Empty\" for selector \"Service.Weights\"")]
    [TestCase("Service.Port == eighty", "Failed to coerce value \"eighty\" for selector \"Service.Port\": strconv.ParseInt: parsing \"eighty\": invalid syntax")]
    [TestCase("Service.EnableTagOverride == yes", "Failed to coerce value \"yes\" for selector \"Service.EnableTagOverride\": strconv.ParseBool: parsing \"yes\": invalid syntax")]
    [TestCase("Service.ID matches \"(web\"", "Failed to compile regular expression \"(web\": error parsing regexp: missing closing ): `(web`")]
    [TestCase("Service.ID matches \"(?=web)\"", "Failed to compile regular expression \"(?=web)\": error parsing regexp: invalid or unsupported Perl syntax: `(?=`")]
    [TestCase("Service.ID ==", "1:14 (13): no match found, expected: \"-\", \"0\", \"\\\"\", \"`\", [ \\t\\r\\n], [1-9] or [a-zA-Z]")]
    public void An_expression_the_type_does_not_fit_is_refused_with_bexprs_text(string expression, string error)
    {
        var ex = Assert.Throws<FilterException>(() => Filter.Create(expression, ConsulSelectors.CheckServiceNode));

        Assert.That(ex!.Message, Is.EqualTo("Failed to create boolean expression evaluator: " + error));
    }

    [Test]
    public void No_expression_is_no_filter() =>
        Assert.That(Filter.Create(string.Empty, ConsulSelectors.CheckServiceNode), Is.Null);

    [Test]
    public void The_catalog_entry_selectors_are_the_flattened_field_names()
    {
        var entry = CatalogServiceEntry.From(Web.Node, Web.Service);

        Assert.That(Filter.Create("ServiceMeta.version matches \"^1\" and NodeMeta.zone == a and ServiceTags contains v1", ConsulSelectors.ServiceNode)!.Matches(entry), Is.True);
        Assert.Throws<FilterException>(() => Filter.Create("Service.ID == \"web-1\"", ConsulSelectors.ServiceNode));
    }

    private static bool Matches(string expression, HealthServiceEntry entry) =>
        Filter.Create(expression, ConsulSelectors.CheckServiceNode)!.Matches(entry);

    private static HealthServiceEntry Entry(string id, string[] tags, Dictionary<string, string> meta, (string Id, string Status, string ServiceId)[] checks)
    {
        var node = new NodeRecord
        {
            Id = "8b1a3c2e-0000-0000-0000-000000000001",
            Node = "node-1",
            Address = "10.0.0.1",
            Datacenter = "dc1",
            TaggedAddresses = new Dictionary<string, string> { ["lan"] = "10.0.0.1", ["wan"] = "203.0.113.1" },
            Meta = new Dictionary<string, string> { ["zone"] = "a" },
        };
        var service = new ServiceRecord
        {
            Id = id,
            Service = "web",
            Tags = tags,
            Address = "10.0.0.1",
            TaggedAddresses = new Dictionary<string, ServiceAddress> { ["wan"] = new("203.0.113.1", 9443) },
            Meta = meta,
            Port = 8080,
            Weights = new ServiceWeights(3, 1),
        };
        return new HealthServiceEntry(node, service, [.. checks.Select(c => new CheckRecord
        {
            Node = "node-1",
            CheckId = c.Id,
            Name = c.Id,
            Status = c.Status,
            ServiceId = c.ServiceId,
            ServiceName = c.ServiceId.Length > 0 ? "web" : string.Empty,
        })]);
    }
}
