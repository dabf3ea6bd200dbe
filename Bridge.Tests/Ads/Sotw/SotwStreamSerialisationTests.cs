using Bridge.Core.Ads.Sotw;
using Bridge.Core.Consul;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using static Bridge.Tests.Catalog.Entries;

namespace Bridge.Tests.Ads.Sotw;

/// <summary>
/// The cache's promise seen from the streams: a resource is serialised once per version, a response sent to
/// several streams is encoded once, and serving it to any number of streams reuses those bytes.
/// </summary>
[NonParallelizable] // XdsResource.Serialisations is process-wide.
public sealed class SotwStreamSerialisationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Test]
    public async Task Streams_serve_the_cached_bytes_and_serialise_nothing_themselves()
    {
        var store = new CatalogStore(new FakeLogger<CatalogStore>());
        store.Apply([.. ConsulFeed.NoRouting()]);
        var cache = new XdsCache(new XdsOptions(), new FakeLogger<XdsCache>());
        store.Subscribe(cache.Apply);
        store.Apply(
        [
            new ServiceSetObserved(ImmutableSortedSet.Create(StringComparer.Ordinal, "api", "web"), 1),
            new ServiceEntriesObserved("api", 2, [Entry("n1", "api-1", service: "api", nodeAddress: "10.0.1.1")]),
            new ServiceEntriesObserved("web", 2, [Entry("n1", "web-1", nodeAddress: "10.0.2.1")]),
        ]);
        using var cts = new CancellationTokenSource();
        var streams = new[] { new FakeStream(cache, "envoy-1"), new FakeStream(cache, "envoy-2") };
        var beforeStreaming = XdsResource.Serialisations;

        var runs = streams.Select(s => s.Run(cts.Token)).ToList();
        var first = new List<EncodedResponse>();
        foreach (var stream in streams)
        {
            await stream.SubscribeAsync();
            first.Add(await stream.NextAsync());
            first.Add(await stream.NextAsync());
        }

        var afterFirstPush = XdsResource.Serialisations;
        var firstSnapshot = cache.Current;
        store.Apply([new ServiceEntriesObserved("web", 3, [Entry("n1", "web-1", nodeAddress: "10.0.2.99")])]);
        var updates = new List<EncodedResponse>();
        foreach (var stream in streams)
        {
            updates.Add(await stream.NextAsync());
        }

        var afterUpdate = XdsResource.Serialisations;
        await cts.CancelAsync();
        await Task.WhenAll(runs).WaitAsync(Patience);

        var updateSnapshot = cache.Current;
        var decodedFirst = first.Select(r => DiscoveryResponse.Parser.ParseFrom(r.ToArray())).ToList();
        var decodedUpdates = updates.Select(r => DiscoveryResponse.Parser.ParseFrom(r.ToArray())).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(afterFirstPush - beforeStreaming, Is.Zero, "the first push to two streams must not serialise anything");
            Assert.That(afterUpdate - afterFirstPush, Is.EqualTo(1), "one changed instance: its service assignment, once, whatever the number of streams (the cluster is unchanged)");
            Assert.That(decodedFirst.Select(r => r.TypeUrl), Is.EquivalentTo(new[] { TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment, TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment }));
            foreach (var (response, snapshot) in decodedFirst.Select(r => (r, firstSnapshot)).Concat(decodedUpdates.Select(r => (r, updateSnapshot))))
            {
                var served = snapshot.Get(ClientKind.Envoy, response.TypeUrl).ByName.Values.Select(r => r.Packed).ToList();
                Assert.That(response.Resources, Is.All.Matches<Google.Protobuf.WellKnownTypes.Any>(any => served.Contains(any)), $"{response.TypeUrl}: every resource sent is the cached resource");
                Assert.That(response.Nonce, Is.Not.Empty);
            }

            // Each pair of responses (one per stream) carries the same content: one encoded body, two nonces.
            foreach (var pair in first.GroupBy(r => r.TypeUrl).Concat(updates.GroupBy(r => r.TypeUrl)))
            {
                Assert.That(pair.Select(r => r.Body).Distinct().Count(), Is.EqualTo(1), $"{pair.Key}: the streams share one encoded body");
            }

            Assert.That(decodedUpdates.Select(u => (u.TypeUrl, u.Resources.Count)), Is.All.EqualTo((TypeUrls.ClusterLoadAssignment, 1)));
        });
    }

    /// <summary>One SotW stream driven through channels, as the gRPC server would drive it.</summary>
    private sealed class FakeStream(XdsCache cache, string nodeId)
    {
        private readonly Channel<DiscoveryRequest> _requests = Channel.CreateUnbounded<DiscoveryRequest>();
        private readonly Channel<EncodedResponse> _responses = Channel.CreateUnbounded<EncodedResponse>();

        public Task Run(CancellationToken ct) =>
            new SotwStream(new Reader(_requests.Reader), new Writer(_responses.Writer), cache, new AdsOptions(), new FakeLogger())
                .RunAsync(new StreamRegistry(), nodeId, ct);

        public async Task SubscribeAsync()
        {
            var node = new Node { Id = nodeId };
            await _requests.Writer.WriteAsync(new DiscoveryRequest { Node = node, TypeUrl = TypeUrls.Cluster });
            await _requests.Writer.WriteAsync(new DiscoveryRequest { TypeUrl = TypeUrls.ClusterLoadAssignment, ResourceNames = { "api", "web" } });
        }

        public async Task<EncodedResponse> NextAsync() => await _responses.Reader.ReadAsync().AsTask().WaitAsync(Patience);
    }

    private sealed class Reader(ChannelReader<DiscoveryRequest> reader) : IAsyncStreamReader<DiscoveryRequest>
    {
        public DiscoveryRequest Current { get; private set; } = null!;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (await reader.WaitToReadAsync(cancellationToken) && reader.TryRead(out var request))
            {
                Current = request;
                return true;
            }

            return false;
        }
    }

    private sealed class Writer(ChannelWriter<EncodedResponse> writer) : IServerStreamWriter<EncodedResponse>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(EncodedResponse message) => writer.WriteAsync(message).AsTask();

        public Task WriteAsync(EncodedResponse message, CancellationToken cancellationToken) => writer.WriteAsync(message, cancellationToken).AsTask();
    }
}
