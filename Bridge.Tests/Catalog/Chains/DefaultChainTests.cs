using Bridge.Core.Catalog.Chains;
using static Bridge.Tests.Catalog.Chains.ChainEntries;

namespace Bridge.Tests.Catalog.Chains;

public sealed class DefaultChainTests
{
    [Test]
    public void Service_without_entries_compiles_to_the_default_chain_of_tcp_to_itself_here()
    {
        var chain = Compiled("web", Set());

        Assert.That(chain, Is.EqualTo(new DiscoveryChain(
            "web", Dc, "tcp", IsDefault: true,
            [CatchAll(To(T("web")))],
            [Plain(T("web"))])));
    }

    [Test]
    public void Default_protocol_given_applies_to_a_service_without_service_defaults()
    {
        var chain = Compiled("web", Set(), defaultProtocol: "HTTP2");

        Assert.Multiple(() =>
        {
            Assert.That(chain.Protocol, Is.EqualTo("http2"));
            Assert.That(chain.IsDefault, Is.True);
        });
    }

    [Test]
    public void Service_defaults_set_the_protocol_and_leave_the_chain_default()
    {
        var chain = Compiled("web", Set(Defaults("web", "GRPC")));

        Assert.Multiple(() =>
        {
            Assert.That(chain.Protocol, Is.EqualTo("grpc"));
            Assert.That(chain.IsHttp, Is.True);
            Assert.That(chain.IsDefault, Is.True);
        });
    }

    [Test]
    public void Resolver_with_nothing_that_changes_resolution_leaves_the_chain_default()
    {
        var chain = Compiled("web", Set("""{"Kind":"service-resolver","Name":"web","Meta":{"owner":"team-a"}}"""));

        Assert.Multiple(() =>
        {
            Assert.That(chain.IsDefault, Is.True);
            Assert.That(chain.Targets, Is.EqualTo(new[] { Plain(T("web")) }));
        });
    }

    [TestCase("""{"ConnectTimeout":"33s"}""")]
    [TestCase("""{"RequestTimeout":"10s"}""")]
    [TestCase("""{"LoadBalancer":{"Policy":"least_request"}}""")]
    [TestCase("""{"Subsets":{"v1":{"Filter":"Service.Meta.version == 1"}}}""")]
    [TestCase("""{"Subsets":{"v1":{}},"DefaultSubset":"v1"}""")]
    [TestCase("""{"Failover":{"*":{"Datacenters":["dc2"]}}}""")]
    [TestCase("""{"Redirect":{"Datacenter":"dc2"}}""")]
    public void Resolver_with_an_option_that_changes_resolution_is_not_the_default_chain(string options)
    {
        var resolver = """{"Kind":"service-resolver","Name":"web",""" + options[1..];

        var chain = Compiled("web", Set(resolver));

        Assert.That(chain.IsDefault, Is.False);
    }

    [Test]
    public void Redirect_to_a_service_with_a_default_resolver_is_not_the_default_chain()
    {
        var chain = Compiled("web", Set("""{"Kind":"service-resolver","Name":"web","Redirect":{"Service":"legacy"}}"""));

        Assert.Multiple(() =>
        {
            Assert.That(chain.IsDefault, Is.False);
            Assert.That(chain.Routes, Is.EqualTo(new[] { CatchAll(To(T("legacy"))) }));
            Assert.That(chain.Services, Is.EqualTo(new[] { "legacy" }));
        });
    }

    [Test]
    public void Router_or_splitter_makes_a_chain_not_default_even_when_it_changes_nothing()
    {
        var router = Compiled("web", Set(Defaults("web", "http"), """{"Kind":"service-router","Name":"web"}"""));
        var splitter = Compiled("web", Set(Defaults("web", "http"), """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":100}]}"""));

        Assert.Multiple(() =>
        {
            Assert.That(router.IsDefault, Is.False);
            Assert.That(router.Routes, Is.EqualTo(new[] { CatchAll(To(T("web"))) }));
            Assert.That(splitter.IsDefault, Is.False);
            Assert.That(splitter.Routes, Is.EqualTo(new[] { CatchAll(new SplitDestination([Share(100, T("web"))])) }));
        });
    }
}
