using Bridge.Core.Catalog.Chains;
using static Bridge.Tests.Catalog.Chains.ChainEntries;

namespace Bridge.Tests.Catalog.Chains;

public sealed class ProtocolTests
{
    [Test]
    public void Router_on_a_tcp_service_fails_naming_the_router()
    {
        var error = Failed("web", Set("""{"Kind":"service-router","Name":"web"}"""));

        Assert.That(error, Is.EqualTo(new ChainError("web", "service-router", "web",
            "a service-router needs protocol http, http2 or grpc, but chain \"web\" speaks tcp (service \"web\", no service-defaults)")));
    }

    [Test]
    public void Splitter_on_a_tcp_service_fails_naming_the_splitter()
    {
        var error = Failed("web", Set(Defaults("web", "tcp"), """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":100}]}"""));

        Assert.That(error, Is.EqualTo(new ChainError("web", "service-splitter", "web",
            "a service-splitter needs protocol http, http2 or grpc, but chain \"web\" speaks tcp (service \"web\", service-defaults \"web\")")));
    }

    [TestCase("http")]
    [TestCase("http2")]
    [TestCase("grpc")]
    public void Router_and_splitter_compile_for_every_http_protocol(string protocol)
    {
        var chain = Compiled("web", Set(
            Defaults("web", protocol),
            """{"Kind":"service-router","Name":"web"}""",
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":100}]}"""));

        Assert.That(chain.Protocol, Is.EqualTo(protocol));
    }

    [Test]
    public void Default_protocol_given_lets_a_router_compile_without_service_defaults()
    {
        var chain = Compiled("web", Set("""{"Kind":"service-router","Name":"web"}"""), defaultProtocol: "http");

        Assert.That(chain.Protocol, Is.EqualTo("http"));
    }

    [Test]
    public void Route_to_a_service_of_another_protocol_fails_naming_that_services_defaults()
    {
        var error = Failed("web", Set(
            Defaults("web", "http"),
            Defaults("db", "tcp"),
            """{"Kind":"service-router","Name":"web","Routes":[{"Match":{"HTTP":{"PathPrefix":"/db"}},"Destination":{"Service":"db"}}]}"""));

        Assert.That(error, Is.EqualTo(new ChainError("web", "service-defaults", "db",
            "service \"db\" speaks tcp (service-defaults \"db\") but chain \"web\" speaks http (service \"web\", service-defaults \"web\"): every service of a chain must speak one protocol")));
    }

    [Test]
    public void Split_to_a_service_without_service_defaults_fails_naming_the_splitter()
    {
        var error = Failed("web", Set(
            Defaults("web", "http"),
            """{"Kind":"service-splitter","Name":"web","Splits":[{"Weight":50},{"Weight":50,"Service":"legacy"}]}"""));

        Assert.Multiple(() =>
        {
            Assert.That((error.Kind, error.Name), Is.EqualTo(("service-splitter", "web")));
            Assert.That(error.Reason, Does.StartWith("service \"legacy\" speaks tcp (no service-defaults) but chain \"web\" speaks http"));
        });
    }

    [Test]
    public void Redirect_to_a_service_of_another_protocol_fails()
    {
        var error = Failed("web", Set(
            Defaults("web", "grpc"),
            Defaults("api", "http"),
            """{"Kind":"service-resolver","Name":"web","Redirect":{"Service":"api"}}"""));

        Assert.That((error.Kind, error.Name), Is.EqualTo(("service-defaults", "api")));
    }

    [Test]
    public void Failover_to_a_service_of_another_protocol_fails_naming_the_resolver()
    {
        var error = Failed("web", Set(
            Defaults("web", "http"),
            """{"Kind":"service-resolver","Name":"web","Failover":{"*":{"Service":"backup"}}}"""));

        Assert.That(error, Is.EqualTo(new ChainError("web", "service-resolver", "web",
            "service \"backup\" speaks tcp (no service-defaults) but chain \"web\" speaks http (service \"web\", service-defaults \"web\"): every service of a chain must speak one protocol")));
    }

    [Test]
    public void Tcp_chain_with_a_resolver_to_tcp_services_compiles()
    {
        var chain = Compiled("db", Set(
            """{"Kind":"service-resolver","Name":"db","Failover":{"*":{"Service":"db-replica"}}}"""));

        Assert.Multiple(() =>
        {
            Assert.That(chain.Protocol, Is.EqualTo("tcp"));
            Assert.That(chain.IsHttp, Is.False);
            Assert.That(chain.Target(T("db")).Failover, Is.EqualTo(new[] { T("db-replica") }));
        });
    }
}
