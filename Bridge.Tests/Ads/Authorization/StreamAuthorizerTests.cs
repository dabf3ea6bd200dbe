using Bridge.Core.Ads.Authorization;
using Grpc.Core;
using Node = Envoy.Config.Core.V3.Node;

namespace Bridge.Tests.Ads.Authorization;

[Parallelizable(ParallelScope.All)]
public sealed class StreamAuthorizerTests
{
    private const string Token = "4b0d6f0e-7d3a-4c8e-9b51-2f6c3e9a1d77";

    [Test]
    public void With_no_rules_every_call_and_node_is_allowed()
    {
        var authorizer = new StreamAuthorizer(new AdsAuthorizationOptions());

        Assert.That(authorizer.AuthorizeCall([]).Allowed, Is.True);
        Assert.That(authorizer.InspectsNode, Is.False);
        Assert.That(authorizer.AuthorizeNode(null).Allowed, Is.True);
    }

    [TestCase("authorization", "Bearer " + Token)]
    [TestCase("authorization", "bearer " + Token)]
    [TestCase("x-bridge-token", Token)]
    public void A_configured_token_is_accepted_from_either_header(string key, string value)
    {
        var authorizer = new StreamAuthorizer(new AdsAuthorizationOptions { Tokens = ["another-token-0123456789", Token] });

        Assert.That(authorizer.AuthorizeCall(new Metadata { { key, value } }).Allowed, Is.True);
    }

    [Test]
    public void A_missing_token_is_refused_and_the_reason_says_how_to_present_one()
    {
        var authorizer = new StreamAuthorizer(new AdsAuthorizationOptions { Tokens = [Token] });

        var decision = authorizer.AuthorizeCall(new Metadata { { "authorization", "Basic dXNlcjpwYXNz" } });

        Assert.That(decision.Allowed, Is.False);
        Assert.That(decision.Reason, Does.Contain("no token presented").And.Contain("x-bridge-token"));
    }

    [Test]
    public void A_wrong_token_is_refused_without_repeating_it()
    {
        var authorizer = new StreamAuthorizer(new AdsAuthorizationOptions { Tokens = [Token] });

        var decision = authorizer.AuthorizeCall(new Metadata { { "x-bridge-token", Token + "x" } });

        Assert.That(decision.Allowed, Is.False);
        Assert.That(decision.Reason, Does.Not.Contain(Token));
    }

    [TestCase("web-sidecar-1", true)]
    [TestCase("web-sidecar-", true)]
    [TestCase("gateway", true)]
    [TestCase("gateway-2", false)]
    [TestCase("api-sidecar-1", false)]
    [TestCase("", false)]
    public void Node_ids_match_exactly_or_by_a_trailing_star(string nodeId, bool allowed)
    {
        var authorizer = new StreamAuthorizer(new AdsAuthorizationOptions { AllowedNodeIds = ["web-sidecar-*", "gateway"] });

        var decision = authorizer.AuthorizeNode(new Node { Id = nodeId, Cluster = "any" });

        Assert.That(decision.Allowed, Is.EqualTo(allowed), decision.Reason);
        if (!allowed)
        {
            Assert.That(decision.Reason, Does.Contain($"node id '{nodeId}'").And.Contain("Ads:Authorization:AllowedNodeIds"));
        }
    }

    [Test]
    public void Node_clusters_are_checked_and_every_configured_rule_must_pass()
    {
        var authorizer = new StreamAuthorizer(new AdsAuthorizationOptions { AllowedNodeIds = ["web-*"], AllowedClusters = ["edge-*"] });

        Assert.That(authorizer.AuthorizeNode(new Node { Id = "web-1", Cluster = "edge-eu" }).Allowed, Is.True);
        var wrongCluster = authorizer.AuthorizeNode(new Node { Id = "web-1", Cluster = "core" });
        Assert.That(wrongCluster.Allowed, Is.False);
        Assert.That(wrongCluster.Reason, Does.Contain("cluster 'core'").And.Contain("Ads:Authorization:AllowedClusters"));
        Assert.That(authorizer.AuthorizeNode(new Node { Id = "api-1", Cluster = "edge-eu" }).Allowed, Is.False);
    }

    [Test]
    public void A_first_request_without_a_node_is_refused_when_node_rules_are_set()
    {
        var authorizer = new StreamAuthorizer(new AdsAuthorizationOptions { AllowedClusters = ["edge"] });

        var decision = authorizer.AuthorizeNode(null);

        Assert.That(decision.Allowed, Is.False);
        Assert.That(decision.Reason, Does.Contain("names no node"));
    }

    [Test]
    public void Options_print_without_their_tokens()
    {
        var options = new AdsAuthorizationOptions { Tokens = [Token], AllowedNodeIds = ["web-*"] };

        Assert.That(options.ToString(), Does.Not.Contain(Token).And.Contain("web-*").And.Contain("1 (hidden)"));
    }
}
