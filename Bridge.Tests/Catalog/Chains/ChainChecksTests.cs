using Bridge.Core.Catalog.Chains;
using static Bridge.Tests.Xds.Chains.ChainFixture;

namespace Bridge.Tests.Catalog.Chains;

public sealed class ChainChecksTests
{
    private const string Subsets = """{"Kind":"service-resolver","Name":"web","Subsets":{"v1":{}}}""";

    [TestCase("/api/v[0-9]+/.*")]
    [TestCase("(?P<version>v[12])/.*")]
    [TestCase("(?i)/Admin")]
    [TestCase(@"a\(?=b")]
    [TestCase(@"[(?=]x")]
    [TestCase(@"\\1")]
    [TestCase(@"\101")]
    [TestCase(@"[\1]")]
    public void Regexes_re2_takes_pass(string regex) =>
        Assert.That(ChainChecks.RegexProblem(regex), Is.Null);

    [TestCase("a(?=b)", "\"(?=\"")]
    [TestCase("a(?!b)", "\"(?!\"")]
    [TestCase("(?<=a)b", "\"(?<=\"")]
    [TestCase("(?<!a)b", "\"(?<!\"")]
    [TestCase("(?>a+)b", "\"(?>\"")]
    [TestCase("(?(a)b|c)", "\"(?(\"")]
    [TestCase(@"(a)\1", "\"\\1\"")]
    [TestCase(@"(?<x>a)\k<x>", "\"\\k\"")]
    [TestCase(@"end\Z", "\"\\Z\"")]
    public void Constructs_re2_lacks_are_named(string regex, string construct) =>
        Assert.That(ChainChecks.RegexProblem(regex), Does.Contain($"uses {construct}, which RE2"));

    [Test]
    public void A_regex_that_does_not_parse_is_a_problem() =>
        Assert.That(ChainChecks.RegexProblem("/api/(v1"), Does.StartWith("regex \"/api/(v1\" is not valid: "));

    [Test]
    public void A_chain_without_problems_has_none()
    {
        var chain = Chain("web", Http("web"), Subsets, Router("web", """
            [{"Match":{"HTTP":{"PathRegex":"/v[0-9]+/.*","Header":[{"Name":"x-a","Regex":"b+"}],"QueryParam":[{"Name":"q","Regex":"c?"}]}},"Destination":{"ServiceSubset":"v1"}},
             {"Match":{"HTTP":{"PathPrefix":"/old"}},"Destination":{"PrefixRewrite":"/","RequestHeaders":{"Set":{"x-b":"1"},"Remove":["x-c"]}}}]
            """));

        Assert.That(ChainChecks.Problem(chain), Is.Null);
    }

    [TestCase("""{"Match":{"HTTP":{"PathRegex":"/(?=x)"}}}""", "route 1: path: regex \"/(?=x)\" uses")]
    [TestCase("""{"Match":{"HTTP":{"Header":[{"Name":"x-a","Regex":"(a"}]}}}""", "route 1: header \"x-a\": regex \"(a\" is not valid")]
    [TestCase("""{"Match":{"HTTP":{"QueryParam":[{"Name":"q","Regex":"a\\1"}]}}}""", "route 1: query parameter \"q\": regex")]
    [TestCase("""{"Match":{"HTTP":{"Header":[{"Name":"x-a\nb","Present":true}]}}}""", "route 1: header \"x-a\\nb\": a name holding a NUL, CR or LF")]
    [TestCase("""{"Destination":{"RequestHeaders":{"Set":{":path":"/x"}}}}""", "route 1: request header change \":path\": a pseudo-header or host")]
    [TestCase("""{"Destination":{"RequestHeaders":{"Remove":["Host"]}}}""", "route 1: request header change \"Host\": a pseudo-header or host")]
    [TestCase("""{"Destination":{"ResponseHeaders":{"Add":{"x-a":"1\r\n2"}}}}""", "route 1: response header \"x-a\": its value holds a NUL, CR or LF")]
    public void What_envoy_would_reject_is_a_problem_naming_the_route(string route, string problem)
    {
        var chain = Chain("web", Http("web"), Router("web", $"[{route}]"));

        Assert.That(ChainChecks.Problem(chain), Does.StartWith(problem));
    }

    [Test]
    public void A_split_header_change_envoy_would_reject_is_a_problem_naming_the_split()
    {
        var chain = Chain("web", Http("web"), Subsets, """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":50},{"Weight":50,"ServiceSubset":"v1","RequestHeaders":{"Set":{"host":"x"}}}]}""");

        Assert.That(ChainChecks.Problem(chain), Does.StartWith("catch-all route, split 2 (to v1.web.dc1): request header change \"host\""));
    }
}
