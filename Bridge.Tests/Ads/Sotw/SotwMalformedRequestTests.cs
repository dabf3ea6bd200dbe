using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Bridge.Tests.Ads.Sotw;

/// <summary>Bad requests end or are ignored on their own stream; every other stream keeps being served.</summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class SotwMalformedRequestTests
{
    private const int NameLimit = 16;
    private static readonly TimeSpan Wait = InProcessBridge.Wait;
    private static readonly TestInstance Web1 = new("10.0.0.1", 8080);

    private InProcessBridge _server = null!;
    private AdsClient _bystander = null!;
    private int _webPort = 8080;

    [SetUp]
    public async Task StartAsync()
    {
        _server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test, Settings = new Dictionary<string, string?> { ["Ads:MaxResourceNamesPerRequest"] = $"{NameLimit}" } });
        _server.Consul.Sync(("web", [Web1]), ("api", [new TestInstance("10.0.1.1", 9090)]));
        _bystander = _server.Sotw(AdsNodes.Envoy("bystander"));
        await _bystander.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);
    }

    [TearDown]
    public async Task StopAsync()
    {
        // The server closes every client it handed out, the bystander included; disposing twice is harmless.
        await _bystander.DisposeAsync();
        await _server.DisposeAsync();
    }

    /// <summary>A healthy stream opened before the bad one still gets the next change.</summary>
    private async Task AssertBystanderStillServedAsync()
    {
        _webPort++;
        _server.Consul.SetService("web", Web1 with { Port = _webPort });
        var update = await _bystander.NextAsync(Wait);
        Assert.That(update.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { $"10.0.0.1:{_webPort}" }));
        await _bystander.AckAsync(update);
    }

    [Test]
    public async Task Unknown_type_url_keeps_the_stream_open_and_later_requests_are_answered()
    {
        var node = AdsNodes.Envoy("envoy-unknown-type");
        var client = _server.Sotw(node);
        var mark = _server.Logs.Mark();
        await client.SendAsync(new DiscoveryRequest { TypeUrl = "type.googleapis.com/envoy.config.nosuch.v3.Thing", ResourceNames = { "x" } });
        await _server.Logs.WaitForAsync(AdsEvents.UnknownTypeUrl, e => e.Field("NodeId") == node.Id, Wait, mark);

        await client.SubscribeAsync(TypeUrls.Cluster, []);

        var cds = await client.NextAsync(Wait);
        Assert.That(cds.TypeUrl, Is.EqualTo(TypeUrls.Cluster), "nothing may be sent for the unknown type");
        Assert.That(cds.ResourceNames(), Is.EquivalentTo(new[] { "api", "web" }));
        Assert.That(client.Completion.IsCompleted, Is.False);
        await AssertBystanderStillServedAsync();
    }

    [Test]
    public async Task Missing_type_url_ends_the_stream_with_invalid_argument()
    {
        var client = _server.Sotw(AdsNodes.Envoy("envoy-no-type"));

        await client.SendAsync(new DiscoveryRequest { ResourceNames = { "web" } });

        var status = await client.Completion.WaitAsync(Wait);
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(status.Detail, Does.Contain("type_url"));
        Assert.That(async () => await client.NextAsync(Wait),
            Throws.TypeOf<RpcException>().With.Property(nameof(RpcException.StatusCode)).EqualTo(StatusCode.InvalidArgument));
        await AssertBystanderStillServedAsync();
    }

    [Test]
    public async Task More_names_than_the_limit_ends_the_stream_with_resource_exhausted()
    {
        var client = _server.Sotw(AdsNodes.Envoy("envoy-too-many"));

        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, [.. Enumerable.Range(0, NameLimit + 1).Select(i => $"svc-{i}")]);

        var status = await client.Completion.WaitAsync(Wait);
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(status.Detail, Does.Contain("MaxResourceNamesPerRequest"));
        await AssertBystanderStillServedAsync();
    }

    [Test]
    public async Task Names_up_to_the_limit_are_served()
    {
        var client = _server.Sotw(AdsNodes.Envoy("envoy-at-limit"));

        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, [.. Enumerable.Range(0, NameLimit - 1).Select(i => $"svc-{i}"), "web"]);

        var eds = await client.NextAsync(Wait);
        Assert.That(eds.Resources, Has.Count.EqualTo(NameLimit));
    }

    [Test]
    public async Task Garbage_names_are_answered_as_empty_assignments_without_ending_the_stream()
    {
        var client = _server.Sotw(AdsNodes.Grpc("grpc-garbage"));
        string[] garbage = ["", " ", "../../etc/passwd", "名前", "a\u0000b", "xds:///web", "web:8080", "%s%n", new string('x', 8192)];

        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, [.. garbage, "web"]);

        var eds = await client.NextAsync(Wait);
        var byName = eds.Assignments().ToDictionary(a => a.ClusterName);
        Assert.That(byName.Keys, Is.EquivalentTo(garbage.Append("web")));
        Assert.That(garbage.Select(g => byName[g].Endpoints.Count), Has.All.EqualTo(0));
        await client.AckAsync(eds);

        await AssertBystanderStillServedAsync();
        var update = await client.NextAsync(Wait);
        Assert.That(update.ResourceNames(), Is.EqualTo(new[] { "web" }));
    }

    [Test]
    public async Task Other_streams_are_served_while_bad_streams_come_and_go()
    {
        for (var i = 0; i < 5; i++)
        {
            var bad = _server.Sotw(AdsNodes.Envoy($"bad-{i}"));
            await bad.SendAsync(new DiscoveryRequest { ResourceNames = { "web" } });
            Assert.That((await bad.Completion.WaitAsync(Wait)).StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
            await AssertBystanderStillServedAsync();
        }

        Assert.That(_server.Registry.Count, Is.EqualTo(1), "ended streams must leave the registry");
    }
}
