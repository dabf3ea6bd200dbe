using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Bridge.Tests.Ads;

/// <summary>Hostile or broken proxies: slow readers, endless NACKs, stream floods. Other streams must not notice.</summary>
[TestFixture]
public sealed class StreamRobustnessTests
{
    private static readonly TimeSpan Wait = InProcessBridge.Wait;

    [Test]
    public async Task Stream_that_stops_reading_never_delays_another_stream()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]));

        // The stalled client subscribes and then never reads: its responses pile up in flow control.
        var stalled = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(server.Channel).StreamAggregatedResources();
        await stalled.RequestStream.WriteAsync(new DiscoveryRequest
        {
            Node = AdsNodes.Envoy("stalled"),
            TypeUrl = TypeUrls.ClusterLoadAssignment,
            ResourceNames = { "web" },
        });

        var healthy = server.Sotw(AdsNodes.Envoy("healthy"));
        var first = await healthy.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);

        // Enough changes (with large assignments) to fill the stalled stream's HTTP/2 window many times over.
        var instances = Enumerable.Range(1, 200).Select(i => new TestInstance($"10.1.{i / 250}.{i % 250}", 8000)).ToArray();
        for (var round = 1; round <= 40; round++)
        {
            server.Consul.SetService("web", [.. instances.Select(i => i with { Port = 8000 + round })]);
            var response = await healthy.NextAsync(Wait);
            Assert.That(response.Assignments().Single().EndpointAddresses()[0], Does.EndWith($":{8000 + round}"), $"round {round} reached the healthy stream");
            await healthy.AckAsync(response);
        }

        stalled.Dispose();
    }

    [Test]
    public async Task Client_that_nacks_every_version_gets_each_new_version_once_and_no_repeats()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]), ("api", [new TestInstance("10.0.1.1", 9090)]));
        var client = server.Sotw(AdsNodes.Envoy("nack-forever"));
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "api"]);

        var response = await client.NextAsync(Wait);
        var versions = new HashSet<string>();
        for (var round = 1; round <= 10; round++)
        {
            Assert.That(versions.Add(response.VersionInfo), Is.True, $"version {response.VersionInfo} was sent again after being rejected");
            var mark = server.Logs.Mark();
            await client.NackAsync(response, $"rejected round {round}");
            await server.Logs.WaitForAsync(AdsEvents.Nack, e => e.Field("ErrorDetail") == $"rejected round {round}", Wait, mark);
            server.Consul.SetService("web", new TestInstance("10.0.0.1", 8080 + round));
            response = await client.NextAsync(Wait);
            Assert.That(response.ResourceNames(), Is.EqualTo(new[] { "web" }), "only the changed assignment follows a NACK");
        }
    }

    [Test]
    public async Task Streams_beyond_the_per_peer_limit_are_refused_and_the_others_keep_working()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test, Settings = new Dictionary<string, string?> { ["Ads:MaxStreamsPerPeer"] = "3" } });
        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]));
        var open = new List<AdsClient>();
        for (var i = 0; i < 3; i++)
        {
            var client = server.Sotw(AdsNodes.Envoy($"ok-{i}"));
            await client.SubscribeAsync(TypeUrls.Cluster, []);
            await client.NextAsync(Wait);
            open.Add(client);
        }

        var refused = server.Sotw(AdsNodes.Envoy("one-too-many"));
        await refused.SubscribeAsync(TypeUrls.Cluster, []);
        var status = await refused.Completion.WaitAsync(Wait);
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(status.Detail, Does.Contain("Ads:MaxStreamsPerPeer"));

        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]), ("api", [new TestInstance("10.0.1.1", 9090)]));
        foreach (var client in open)
        {
            Assert.That((await client.NextAsync(Wait)).ResourceNames(), Is.EquivalentTo(new[] { "api", "web" }), "a stream within the limit still gets changes");
        }
    }

    [Test]
    public async Task Garbage_nonces_are_ignored_and_the_stream_keeps_its_subscription()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]));
        var client = server.Sotw(AdsNodes.Envoy("garbage-nonce"));
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        var first = await client.NextAsync(Wait);

        var mark = server.Logs.Mark();
        await client.SendAsync(new DiscoveryRequest
        {
            TypeUrl = TypeUrls.ClusterLoadAssignment,
            ResponseNonce = "\u0000not-a-nonce-" + new string('x', 4096),
            ResourceNames = { "something-else" },
        });
        await server.Logs.WaitForAsync(AdsEvents.StaleNonceIgnored, _ => true, Wait, mark);

        server.Consul.SetService("web", new TestInstance("10.0.0.9", 8080));
        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "web" }), "the garbage request changed nothing");
        Assert.That(next.Nonce, Is.Not.EqualTo(first.Nonce));
    }
}
