namespace Bridge.Tests.Ads;

/// <summary>The test client must carry a load run: many streams over one channel, each ACKing on its own.</summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class AdsClientScaleTests
{
    // Three times Kestrel's default of 100 concurrent streams per HTTP/2 connection.
    private const int Streams = 300;

    [Test]
    public async Task Hundreds_of_auto_acking_streams_share_one_channel_and_all_receive_a_change()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]));
        var options = new AdsClientOptions { AutoAck = true };
        var clients = Enumerable.Range(0, Streams).Select(i => server.Sotw(AdsNodes.Envoy($"load-{i}"), options)).ToList();
        var ct = TestContext.CurrentContext.CancellationToken;
        await Task.WhenAll(clients.Select(c => c.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"], ct)));
        var first = await Task.WhenAll(clients.Select(c => c.NextAsync(InProcessBridge.Wait, ct).AsTask()));
        Assert.That(first.Select(r => r.VersionInfo).Distinct().Count(), Is.EqualTo(1));

        var changedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        server.Consul.SetService("web", new TestInstance("10.0.0.2", 8080));
        var updates = await Task.WhenAll(clients.Select(c => c.NextReceivedAsync(InProcessBridge.Wait, ct).AsTask()));

        Assert.That(updates.Select(u => u.Response.Assignments().Single().EndpointAddresses().Single()), Has.All.EqualTo("10.0.0.2:8080"));
        Assert.That(updates.Select(u => u.Since(changedAt)), Has.All.GreaterThan(TimeSpan.Zero));
        Assert.That(server.Registry.Count, Is.EqualTo(Streams));
    }
}
