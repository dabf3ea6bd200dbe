using Grpc.Core;
using Bridge.Tests.Daemon.Security;

namespace Bridge.Tests.Ads.Authorization;

/// <summary>Authorization of proxies through the daemon as it is wired: refusal status, log line, both protocols.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class AdsAuthorizationTests
{
    private const int StreamUnauthorized = 4011;
    private const string Token = "0f8e3c2a-5b1d-4e7f-a6c9-d2b4e8f1a3c5";

    [Test]
    public async Task A_stream_without_a_token_is_refused_with_permission_denied_and_a_warning_naming_the_peer()
    {
        await using var bridge = await InProcessBridge.StartAsync(new() { Settings = Tokens() });

        using var channel = bridge.OpenChannel();
        var error = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersAsync(channel));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        var logged = await bridge.Logs.WaitForAsync(StreamUnauthorized);
        Assert.That(logged.Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Warning));
        Assert.That(logged.Field("Peer"), Does.StartWith("ipv4:127.0.0.1:"));
        Assert.That(logged.Field("NodeId"), Is.EqualTo("(unknown)"), "the token is checked before any request is read");
        Assert.That(logged.Field("Reason"), Does.Contain("no token presented"));
    }

    [Test]
    public async Task A_wrong_token_is_refused_and_never_logged()
    {
        await using var bridge = await InProcessBridge.StartAsync(new() { Settings = Tokens() });
        const string wrong = "this-is-not-the-right-token-42";

        using var channel = bridge.OpenChannel();
        var error = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersAsync(channel, headers: new Metadata { { "authorization", "Bearer " + wrong } }));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        var logged = await bridge.Logs.WaitForAsync(StreamUnauthorized);
        Assert.That(logged.Field("Reason"), Does.Contain("not accepted"));
        Assert.That(bridge.Logs.AllText(), Does.Not.Contain(wrong).And.Not.Contain(Token));
        Assert.That(error.Status.Detail, Does.Not.Contain(wrong));
    }

    [TestCase("authorization", "Bearer " + Token)]
    [TestCase("x-bridge-token", Token)]
    public async Task A_configured_token_in_either_header_gets_clusters(string key, string value)
    {
        await using var bridge = await InProcessBridge.StartAsync(new() { Settings = Tokens() });

        using var channel = bridge.OpenChannel();
        var response = await AdsProbe.FetchClustersAsync(channel, headers: new Metadata { { key, value } });

        Assert.That(AdsProbe.ClusterNames(response), Does.Contain("web"));
        Assert.That(bridge.Logs.WithId(StreamUnauthorized), Is.Empty);
    }

    [Test]
    public async Task A_token_read_from_the_token_file_is_accepted()
    {
        using var pki = new TestPki();
        var file = pki.Write("ads-tokens", "# proxies of rack 7\n\n  " + Token + "  \n");
        await using var bridge = await InProcessBridge.StartAsync(new() { Settings = new Dictionary<string, string?> { ["Ads:Authorization:TokenFile"] = file } });

        using var channel = bridge.OpenChannel();
        var response = await AdsProbe.FetchClustersAsync(channel, headers: new Metadata { { "x-bridge-token", Token } });

        Assert.That(AdsProbe.ClusterNames(response), Does.Contain("web"));
    }

    [Test]
    public async Task A_node_id_outside_the_allowed_ids_is_refused_on_its_first_request()
    {
        await using var bridge = await InProcessBridge.StartAsync(new() { Settings = new Dictionary<string, string?> { ["Ads:Authorization:AllowedNodeIds:0"] = "web-*" } });

        using var channel = bridge.OpenChannel();
        var error = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersAsync(channel, nodeId: "api-7"));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(error.Status.Detail, Does.Contain("node id 'api-7'"));
        var logged = await bridge.Logs.WaitForAsync(StreamUnauthorized);
        Assert.That(logged.Field("NodeId"), Is.EqualTo("api-7"));
        Assert.That(logged.Field("Peer"), Does.StartWith("ipv4:127.0.0.1:"));
        Assert.That(logged.Field("Reason"), Does.Contain("Ads:Authorization:AllowedNodeIds"));
        Assert.That(bridge.Logs.WithId(4001), Is.Empty, "the stream never saw the request, so it never opened for that node");
    }

    [Test]
    public async Task An_allowed_node_id_gets_clusters()
    {
        await using var bridge = await InProcessBridge.StartAsync(new() { Settings = new Dictionary<string, string?> { ["Ads:Authorization:AllowedNodeIds:0"] = "web-*" } });

        using var channel = bridge.OpenChannel();
        var response = await AdsProbe.FetchClustersAsync(channel, nodeId: "web-sidecar-3");

        Assert.That(AdsProbe.ClusterNames(response), Does.Contain("web"));
    }

    [Test]
    public async Task A_node_cluster_outside_the_allowed_clusters_is_refused_and_an_allowed_one_served()
    {
        await using var bridge = await InProcessBridge.StartAsync(new() { Settings = new Dictionary<string, string?> { ["Ads:Authorization:AllowedClusters:0"] = "edge" } });

        using var channel = bridge.OpenChannel();
        var error = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersAsync(channel, nodeId: "web-1", cluster: "backoffice"));
        var served = await AdsProbe.FetchClustersAsync(channel, nodeId: "web-1", cluster: "edge");

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        var logged = await bridge.Logs.WaitForAsync(StreamUnauthorized);
        Assert.That(logged.Field("NodeId"), Is.EqualTo("web-1"));
        Assert.That(logged.Field("Reason"), Does.Contain("cluster 'backoffice'"));
        Assert.That(AdsProbe.ClusterNames(served), Does.Contain("web"));
    }

    [Test]
    public async Task Delta_streams_are_authorized_by_the_same_rules()
    {
        var settings = Tokens();
        settings["Ads:Authorization:AllowedNodeIds:0"] = "web-*";
        await using var bridge = await InProcessBridge.StartAsync(new() { Settings = settings });
        var token = new Metadata { { "x-bridge-token", Token } };

        using var channel = bridge.OpenChannel();
        var noToken = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersDeltaAsync(channel, nodeId: "web-1"));
        var wrongNode = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersDeltaAsync(channel, nodeId: "db-1", headers: token));
        var served = await AdsProbe.FetchClustersDeltaAsync(channel, nodeId: "web-1", headers: token);

        Assert.That(noToken!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(wrongNode!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(served.Resources.Select(r => r.Name), Does.Contain("web"));
        Assert.That(bridge.Logs.WithId(StreamUnauthorized).Select(e => e.Field("NodeId")), Is.EquivalentTo(new[] { "(unknown)", "db-1" }));
    }

    private static Dictionary<string, string?> Tokens() => new() { ["Ads:Authorization:Tokens:0"] = Token };
}
