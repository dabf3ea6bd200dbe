using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bridge.DevAgent;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;

namespace Bridge.Tests.Ads;

/// <summary>
/// Two bridges on one Consul are one service: for the same node they answer with the same bytes and versions, so a
/// proxy that moves from one to the other (a replica stopped, a stream ended for its age) is sent nothing it holds.
/// Replica B starts after A has followed changes, so the two reach the same catalog by different paths (different
/// snapshot generations); only nonces, which are per stream, may differ.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(60_000)]
public sealed class ReplicaTests
{
    private static readonly TimeSpan Wait = InProcessBridge.Wait;

    private DevAgentServer _agent = null!;
    private InProcessBridge _a = null!;
    private InProcessBridge _b = null!;
    private int _apiPort = 9091;

    [OneTimeSetUp]
    public async Task StartReplicasAsync()
    {
        _agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0" });
        // Routing (subsets, a split, a router, failover to a second datacenter), several instances and meta.
        await _agent.LoadSeedAsync(Path.Combine(Repository.Root, "Bridge.DevAgent", "Seeding", "traffic-management.json"));
        _a = await StartReplicaAsync();

        // A follows two changes that B, started afterwards, reads as one catalog.
        await RegisterAsync("cache-1", "cache", 6379);
        await WaitUntilAsync(() => _a.Pipeline.Xds.Services.Contains("cache"), "replica A serves cache");
        await RegisterAsync("cache-2", "cache", 6380);
        await WaitUntilAsync(() => _a.Pipeline.Xds.Get(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment).ByName.TryGetValue("cache", out var cla)
            && cla.Message is Envoy.Config.Endpoint.V3.ClusterLoadAssignment { Endpoints: [{ LbEndpoints.Count: 2 }] }, "replica A serves both cache instances");
        _b = await StartReplicaAsync();
    }

    [OneTimeTearDown]
    public async Task StopReplicasAsync()
    {
        // Bridges first: each holds blocking queries on the agent.
        foreach (var bridge in new[] { _a, _b })
        {
            if (bridge is not null)
            {
                await bridge.DisposeAsync();
            }
        }

        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }
    }

    [TestCase(ClientKind.Envoy)]
    [TestCase(ClientKind.Grpc)]
    public async Task Two_replicas_answer_the_same_node_with_identical_bytes_and_versions_over_sotw(ClientKind kind)
    {
        await ConvergedAsync();
        Assert.That(_a.Pipeline.Xds.Generation, Is.Not.EqualTo(_b.Pipeline.Xds.Generation), "the replicas must reach the catalog by different paths");
        var node = NodeOf(kind, "sotw-replicas");

        var (_, fromA) = await FetchAllAsync(_a, node, kind);
        var (_, fromB) = await FetchAllAsync(_b, node, kind);

        Assert.That(fromA.Select(r => r.Resources.Count), Has.All.Positive, "every type carries resources");
        for (var i = 0; i < fromA.Count; i++)
        {
            var (a, b) = (fromA[i], fromB[i]);
            Assert.That(b.VersionInfo, Is.EqualTo(a.VersionInfo), a.TypeUrl);
            Assert.That(b.ResourceNames(), Is.EqualTo(a.ResourceNames()), a.TypeUrl);
            Assert.That(b.Resources.Select(r => r.Value), Is.EqualTo(a.Resources.Select(r => r.Value)), $"{a.TypeUrl}: resource bytes");
            Assert.That(WithoutNonce(b), Is.EqualTo(WithoutNonce(a)), $"{a.TypeUrl}: the whole response but its nonce");
        }
    }

    [TestCase(ClientKind.Envoy)]
    [TestCase(ClientKind.Grpc)]
    public async Task Two_replicas_answer_the_same_node_with_identical_bytes_and_versions_over_delta(ClientKind kind)
    {
        await ConvergedAsync();
        var node = NodeOf(kind, "delta-replicas");

        var (_, fromA) = await FetchAllDeltaAsync(_a, node, kind);
        var (_, fromB) = await FetchAllDeltaAsync(_b, node, kind);

        for (var i = 0; i < fromA.Count; i++)
        {
            var (a, b) = (fromA[i], fromB[i]);
            Assert.That(a.Resources, Is.Not.Empty, a.TypeUrl);
            Assert.That(b.ResourceVersions(), Is.EqualTo(a.ResourceVersions()), $"{a.TypeUrl}: per-resource versions");
            Assert.That(b.Resources.Select(r => r.Resource_.Value), Is.EqualTo(a.Resources.Select(r => r.Resource_.Value)), $"{a.TypeUrl}: resource bytes");
            Assert.That(b.SystemVersionInfo, Is.EqualTo(a.SystemVersionInfo), $"{a.TypeUrl}: system_version_info");
            Assert.That(WithoutNonce(b), Is.EqualTo(WithoutNonce(a)), $"{a.TypeUrl}: the whole response but its nonce");
        }
    }

    [TestCase(ClientKind.Envoy)]
    [TestCase(ClientKind.Grpc)]
    public async Task Two_daemon_processes_on_one_consul_answer_the_same_node_with_identical_bytes(ClientKind kind)
    {
        // The daemon as shipped, twice: nothing shared in memory, each its own process, start time and Consul reads.
        await ConvergedAsync();
        await using var first = await StartDaemonAsync();
        await using var second = await StartDaemonAsync();
        using var toFirst = AdsChannels.Create(first.AdsPort);
        using var toSecond = AdsChannels.Create(second.AdsPort);
        var node = NodeOf(kind, "daemon-replicas");

        var sotw = (await FetchAllAsync(new AdsClient(toFirst, node), kind), await FetchAllAsync(new AdsClient(toSecond, node), kind));
        var delta = (await FetchAllDeltaAsync(new DeltaAdsClient(toFirst, node), kind), await FetchAllDeltaAsync(new DeltaAdsClient(toSecond, node), kind));

        Assert.That(sotw.Item2.Responses.Select(WithoutNonce), Is.EqualTo(sotw.Item1.Responses.Select(WithoutNonce)), "state of the world");
        Assert.That(delta.Item2.Responses.Select(WithoutNonce), Is.EqualTo(delta.Item1.Responses.Select(WithoutNonce)), "delta");
        Assert.That(sotw.Item1.Responses.Select(r => r.VersionInfo), Is.EqualTo(await FetchVersionsAsync(_b, node, kind)), "the in-process replicas agree with the daemons");
        foreach (var client in new IAsyncDisposable[] { sotw.Item1.Client, sotw.Item2.Client, delta.Item1.Client, delta.Item2.Client })
        {
            await client.DisposeAsync();
        }
    }

    [TestCase(ClientKind.Envoy)]
    [TestCase(ClientKind.Grpc)]
    public async Task Delta_client_moving_to_the_other_replica_with_what_it_holds_is_sent_nothing_again(ClientKind kind)
    {
        await ConvergedAsync();
        var node = NodeOf(kind, "delta-mover");
        var (onA, _) = await FetchAllDeltaAsync(_a, node, kind);
        var held = onA.Subscriptions;
        await onA.DisposeAsync();

        var onB = _b.Track(await DeltaAdsClient.ResumeAsync(_b.Channel, node, held));
        // Nothing is owed to the client, so the next response B sends is the one this change causes.
        var port = await MoveApiAsync();

        var next = await onB.NextAsync(Wait);
        Assert.That(next.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment), "replica B resent a resource the client held");
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "api" }), "replica B resent an assignment the client held");
        Assert.That(next.RemovedResources, Is.Empty);
        Assert.That(next.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>()["api"].EndpointAddresses(), Is.EqualTo(new[] { $"127.0.0.1:{port}" }));
    }

    [TestCase(ClientKind.Envoy)]
    [TestCase(ClientKind.Grpc)]
    public async Task Sotw_client_moving_to_the_other_replica_is_sent_each_type_once_at_the_version_it_holds(ClientKind kind)
    {
        await ConvergedAsync();
        var node = NodeOf(kind, "sotw-mover");
        var (onA, fromA) = await FetchAllAsync(_a, node, kind);

        var onB = _b.Track(await onA.ReconnectAsync(_b.Channel));
        var resent = new List<DiscoveryResponse>();
        foreach (var _ in TypeUrls.All)
        {
            var response = await onB.NextAsync(Wait);
            await onB.AckAsync(response);
            resent.Add(response);
        }

        Assert.That(resent.Select(r => (r.TypeUrl, r.VersionInfo)), Is.EquivalentTo(fromA.Select(r => (r.TypeUrl, r.VersionInfo))),
            "each type once, at the version the client applied from replica A");
        Assert.That(resent.Select(WithoutNonce), Is.EquivalentTo(fromA.Select(WithoutNonce)));

        // Each type was sent once: the next response is the one this change causes.
        await MoveApiAsync();
        var next = await onB.NextAsync(Wait);
        Assert.That(next.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "api" }));
    }

    private static Node NodeOf(ClientKind kind, string id) => kind == ClientKind.Envoy ? AdsNodes.Envoy($"{id}-envoy") : AdsNodes.Grpc($"{id}-grpc");

    /// <summary>The whole response as sent, but for its nonce, which is per stream.</summary>
    private static ByteString WithoutNonce(DiscoveryResponse response)
    {
        var copy = response.Clone();
        copy.Nonce = "";
        return copy.ToByteString();
    }

    private static ByteString WithoutNonce(DeltaDiscoveryResponse response)
    {
        var copy = response.Clone();
        copy.Nonce = "";
        return copy.ToByteString();
    }

    /// <summary>
    /// What a node subscribes to, as Envoy (wildcard clusters and listeners) or a gRPC client (names) does: every name
    /// replica A serves its kind, so every resource is compared.
    /// </summary>
    private string[] NamesFor(ClientKind kind, string typeUrl) =>
        kind == ClientKind.Envoy && TypeUrls.RequiresFullState(typeUrl)
            ? [AdsClient.Wildcard]
            : [.. _a.Pipeline.Xds.Get(kind, typeUrl).ByName.Keys];

    private Task<(AdsClient Client, List<DiscoveryResponse> Responses)> FetchAllAsync(InProcessBridge bridge, Node node, ClientKind kind) =>
        FetchAllAsync(bridge.Sotw(node), kind);

    private async Task<IReadOnlyList<string>> FetchVersionsAsync(InProcessBridge bridge, Node node, ClientKind kind) =>
        [.. (await FetchAllAsync(bridge, node, kind)).Responses.Select(r => r.VersionInfo)];

    private async Task<(AdsClient Client, List<DiscoveryResponse> Responses)> FetchAllAsync(AdsClient client, ClientKind kind) =>
        (client, await FetchEveryTypeAsync(client, kind, r => r.TypeUrl));

    private Task<(DeltaAdsClient Client, List<DeltaDiscoveryResponse> Responses)> FetchAllDeltaAsync(InProcessBridge bridge, Node node, ClientKind kind) =>
        FetchAllDeltaAsync(bridge.Delta(node), kind);

    private async Task<(DeltaAdsClient Client, List<DeltaDiscoveryResponse> Responses)> FetchAllDeltaAsync(DeltaAdsClient client, ClientKind kind) =>
        (client, await FetchEveryTypeAsync(client, kind, r => r.TypeUrl));

    /// <summary>Every type in turn, as the node's kind asks for it, each answer checked to be of that type and ACKed.</summary>
    private async Task<List<TResponse>> FetchEveryTypeAsync<TResponse>(IAdsClient<TResponse> client, ClientKind kind, Func<TResponse, string> typeUrlOf)
        where TResponse : class
    {
        var responses = new List<TResponse>();
        foreach (var typeUrl in TypeUrls.All)
        {
            var response = await client.SubscribeAckedAsync(typeUrl, NamesFor(kind, typeUrl), Wait);
            Assert.That(typeUrlOf(response), Is.EqualTo(typeUrl));
            responses.Add(response);
        }

        return responses;
    }

    /// <summary>Moves api's one instance to a new port in Consul; returns the port once both replicas serve it.</summary>
    private async Task<int> MoveApiAsync()
    {
        var port = Interlocked.Increment(ref _apiPort);
        await RegisterAsync("api-1", "api", port);
        await ConvergedAsync();
        return port;
    }

    /// <summary>Waits until both replicas serve the same resources, name and version, for every client kind and type.</summary>
    private async Task ConvergedAsync() => await WaitUntilAsync(() =>
        Enum.GetValues<ClientKind>().All(kind => TypeUrls.All.All(typeUrl =>
            Versions(_a, kind, typeUrl).SequenceEqual(Versions(_b, kind, typeUrl)))) && ServesApiAt(_a, _apiPort) && ServesApiAt(_b, _apiPort),
        "both replicas serve the same resources");

    private static IEnumerable<(string, string)> Versions(InProcessBridge bridge, ClientKind kind, string typeUrl) =>
        bridge.Pipeline.Xds.Get(kind, typeUrl).ByName.Select(p => (p.Key, p.Value.Version));

    private static bool ServesApiAt(InProcessBridge bridge, int port) =>
        bridge.Pipeline.Xds.Get(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment).ByName.TryGetValue("api", out var cla)
        && cla.Message is Envoy.Config.Endpoint.V3.ClusterLoadAssignment assignment
        && assignment.EndpointAddresses().SequenceEqual([$"127.0.0.1:{port}"]);

    private async Task<InProcessBridge> StartReplicaAsync() => await InProcessBridge.StartAsync(new()
    {
        Catalog = CatalogFeed.Address,
        Settings = new Dictionary<string, string?> { ["Consul:Address"] = _agent.Address.ToString().TrimEnd('/') },
    });

    private async Task<BridgeProcess> StartDaemonAsync()
    {
        var daemon = await BridgeProcess.StartAsync(new BridgeProcessOptions { ConsulAddress = _agent.Address.ToString().TrimEnd('/') });
        try
        {
            await daemon.WaitReadyAsync(TimeSpan.FromSeconds(30));
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>Registers (or re-registers) an instance through Consul's agent API, as an operator's tooling does.</summary>
    private async Task RegisterAsync(string id, string service, int port)
    {
        using var http = new HttpClient { BaseAddress = _agent.Address };
        var body = new JsonObject
        {
            ["ID"] = id,
            ["Name"] = service,
            ["Address"] = "127.0.0.1",
            ["Port"] = port,
            ["Tags"] = service == "api" ? new JsonArray("grpc") : new JsonArray(),
            ["Check"] = new JsonObject { ["TTL"] = "8760h", ["Status"] = "passing" },
        };
        using var response = await http.PutAsJsonAsync("/v1/agent/service/register", body);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Polls an outcome the bridges publish no event for, with a deadline.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Wait);
        while (!condition())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"within {Wait.TotalSeconds} s: {what}");
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }
}
