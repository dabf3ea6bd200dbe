using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace Bridge.Tests.Ads;

/// <summary>What a node's first request says about it: its kind and the services it declared.</summary>
public sealed class ClientIdentityTests
{
    private static Node Declaring(string id, Value services)
    {
        var node = new Node { Id = id, UserAgentName = "envoy" };
        node.Metadata = new Struct { Fields = { ["bridge.services"] = services } };
        return node;
    }

    [Test]
    public void Nodes_declaring_the_same_services_in_any_order_or_form_share_one_scope()
    {
        var first = ClientIdentity.From(Declaring("a", Value.ForString("web, api,db")), new AdsOptions());
        var second = ClientIdentity.From(Declaring("b", Value.ForList(Value.ForString("db"), Value.ForString("web"), Value.ForString("api"))), new AdsOptions());

        Assert.Multiple(() =>
        {
            Assert.That(first.Scope, Is.EqualTo(new[] { "api", "db", "web" }));
            Assert.That(first.ScopeKey, Is.EqualTo("api,db,web"));
            Assert.That(second.Scope, Is.SameAs(first.Scope));
            Assert.That(second.InScope("web") && !second.InScope("cache"), Is.True);
        });
    }

    [Test]
    public void A_wildcard_or_no_declaration_means_every_service()
    {
        var star = ClientIdentity.From(Declaring("a", Value.ForString("web,*")), new AdsOptions());
        var none = ClientIdentity.From(new Node { Id = "b" }, new AdsOptions());

        Assert.Multiple(() =>
        {
            Assert.That(star.Scope, Is.Null);
            Assert.That(star.ScopeKey, Is.EqualTo("*"));
            Assert.That(none.Scope, Is.Null);
            Assert.That(none.InScope("anything"), Is.True);
        });
    }
}
