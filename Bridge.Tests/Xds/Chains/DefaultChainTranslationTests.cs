using Bridge.Core.Catalog.Chains;
using static Bridge.Tests.Xds.Chains.ChainFixture;
using static Bridge.Tests.Xds.ResourceTranslatorTests;

namespace Bridge.Tests.Xds.Chains;

/// <summary>A service whose chain is the default one is served exactly as without config entries, whichever function is called.</summary>
public sealed class DefaultChainTranslationTests
{
    private static readonly DiscoveryChain[] DefaultChains =
    [
        Chain("web"),
        Chain("web", """{"Kind":"service-resolver","Name":"web"}"""),
        Chain("web", Http("web")),
    ];

    private static readonly ResourceTranslator Today = new(new XdsOptions(), new FakeLogger());

    [Test]
    public void A_default_chain_keeps_todays_routes([Range(0, 2)] int which)
    {
        var chain = DefaultChains[which];
        Assert.That(chain.IsDefault, Is.True);
        var envoyHost = Today.EnvoyRoute(["web"]).VirtualHosts.Single();

        Assert.Multiple(() =>
        {
            Assert.That(Translator().GrpcRoute(chain), Is.EqualTo(ResourceTranslator.GrpcRoute("web")));
            Assert.That(Translator().EnvoyRoutes(chain), Is.EqualTo(envoyHost.Routes));
        });
    }

    [Test]
    public void A_default_chain_keeps_todays_cluster_and_assignment([Range(0, 2)] int which)
    {
        var chain = DefaultChains[which];
        var policy = ServicePolicy.Default with { LoadBalancing = LoadBalancing.LeastRequest, ConnectTimeout = TimeSpan.FromSeconds(1) };
        var instances = new[] { Instance("n2", "10.0.0.2", zone: "b"), Instance("n1", "10.0.0.1", zone: "a", passingWeight: 3) };
        var service = Service("web", instances);

        Assert.Multiple(() =>
        {
            foreach (var kind in new[] { ClientKind.Envoy, ClientKind.Grpc })
            {
                Assert.That(Translator().Clusters(chain, kind, _ => policy), Is.EqualTo(new[] { Today.Cluster(service, policy, kind) }), kind.ToString());
            }

            Assert.That(Translator().Assignment(chain, new TargetId("web", "", Dc), service.Instances), Is.EqualTo(Today.Assignment(service)));
        });
    }
}
