using Bridge.DevAgent.Filtering;

namespace Bridge.Tests.DevAgent.Filtering;

/// <summary>The filter grammar as go-bexpr v0.1.2 parses it, and its errors as Consul users have seen them.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class FilterParserTests
{
    [TestCase("Service.Port == 80", "Service.Port", "Equal", "80")]
    [TestCase("Service.Port==80", "Service.Port", "Equal", "80")]
    [TestCase("Service.ID != \"web-1\"", "Service.ID", "NotEqual", "web-1")]
    [TestCase("Service.Tags contains v1", "Service.Tags", "In", "v1")]
    [TestCase("Service.Tags not contains `v1`", "Service.Tags", "NotIn", "v1")]
    [TestCase("v1 in Service.Tags", "Service.Tags", "In", "v1")]
    [TestCase("\"v1\" not in Service.Tags", "Service.Tags", "NotIn", "v1")]
    [TestCase("Service.Meta.version matches \"^2\\\\.\"", "Service.Meta.version", "Matches", "^2\\.")]
    [TestCase("Node.Node not matches `^db-`", "Node.Node", "NotMatches", "^db-")]
    [TestCase("Service.Tags is empty", "Service.Tags", "IsEmpty", null)]
    [TestCase("Service.Meta is not empty", "Service.Meta", "IsNotEmpty", null)]
    [TestCase("Service.Meta[\"team/x\"] == a", "Service.Meta.team/x", "Equal", "a")]
    [TestCase("Service.Weights.Passing == -3.5", "Service.Weights.Passing", "Equal", "-3.5")]
    [TestCase("Service.Address == Node.Address", "Service.Address", "Equal", "Node.Address")]
    public void Each_operator_parses_to_its_match(string text, string selector, string op, string? value)
    {
        var match = (MatchExpression)FilterParser.Parse(text);

        Assert.That((match.SelectorText, match.Operator.ToString(), match.Value), Is.EqualTo((selector, op, value)));
    }

    [Test]
    public void Not_binds_tighter_than_and_which_binds_tighter_than_or()
    {
        var parsed = FilterParser.Parse("not a == 1 and b == 2 or c == 3");

        var or = (BinaryExpression)parsed;
        var and = (BinaryExpression)or.Left;
        Assert.That(or.IsAnd, Is.False);
        Assert.That(and.IsAnd, Is.True);
        Assert.That(and.Left, Is.TypeOf<NotExpression>());
        Assert.That(((MatchExpression)or.Right).SelectorText, Is.EqualTo("c"));
    }

    [Test]
    public void Parentheses_regroup_and_a_double_not_cancels()
    {
        var parsed = FilterParser.Parse("( a == 1 or b == 2 ) and not not c == 3");

        var and = (BinaryExpression)parsed;
        Assert.That(and.IsAnd, Is.True);
        Assert.That(and.Left, Is.TypeOf<BinaryExpression>().With.Property(nameof(BinaryExpression.IsAnd)).False);
        Assert.That(and.Right, Is.TypeOf<MatchExpression>());
    }

    [Test]
    public void Quoted_strings_unescape_as_go_does()
    {
        var escaped = (MatchExpression)FilterParser.Parse("a == \"tab\\there \\u00e9 \\x41\"");
        var raw = (MatchExpression)FilterParser.Parse("a == `C:\\path\\n`");

        Assert.That(escaped.Value, Is.EqualTo("tab\there é A"));
        Assert.That(raw.Value, Is.EqualTo("C:\\path\\n"));
    }

    // The farthest position reached, and every token that could have continued there, sorted as pigeon sorts them
    // (hashicorp/consul#7338 quotes the first one word for word, #6467 the list after an unquoted value).
    [TestCase("foo", "1:4 (3): no match found, expected: \"!=\", \".\", \"==\", \"[\", [ \\t\\r\\n] or [a-zA-Z0-9_]")]
    [TestCase("Node==host-name", "1:11 (10): no match found, expected: \".\", \"[\", [ \\t\\r\\n], [a-zA-Z0-9_] or EOF")]
    [TestCase("Service.ID == web and", "1:22 (21): no match found, expected: [ \\t\\r\\n]")]
    [TestCase("Service.ID ==", "1:14 (13): no match found, expected: \"-\", \"0\", \"\\\"\", \"`\", [ \\t\\r\\n], [1-9] or [a-zA-Z]")]
    [TestCase("", "1:1 (0): no match found, expected: \"(\", \"-\", \"0\", \"\\\"\", \"`\", \"not\", [ \\t\\r\\n], [1-9] or [a-zA-Z]")]
    public void A_failed_parse_reports_the_farthest_position_and_what_could_follow(string text, string error)
    {
        var ex = Assert.Throws<FilterException>(() => FilterParser.Parse(text));

        Assert.That(ex!.Message, Is.EqualTo(error));
    }

    // Rules that recognise a mistake name it (hashicorp/consul#9441 quotes the number one).
    [TestCase("Address == 10.10.10.10 ", "1:17 (16): rule \"number\": Invalid number literal")]
    [TestCase("(Service.ID == web", "1:19 (18): rule \"grouping\": Unmatched parentheses")]
    [TestCase("Service.ID == \"web", "1:19 (18): rule \"string\": Unterminated string literal")]
    [TestCase("Service.Meta[x] == 1", "1:14 (13): rule \"index\": Invalid index")]
    [TestCase("Service.Meta[\"x\" == 1", "1:18 (17): rule \"index\": Unclosed index expression")]
    [TestCase("web in 8", "1:8 (7): rule \"match\": Invalid selector")]
    public void A_recognised_mistake_is_named_by_its_rule(string text, string error)
    {
        var ex = Assert.Throws<FilterException>(() => FilterParser.Parse(text));

        Assert.That(ex!.Message, Is.EqualTo(error));
    }

    [Test]
    public void Positions_count_lines_characters_and_bytes()
    {
        var ex = Assert.Throws<FilterException>(() => FilterParser.Parse("Service.ID == \"é\"\nand"));

        Assert.That(ex!.Message, Does.StartWith("2:4 (22): "));
    }
}
