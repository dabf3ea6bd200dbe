using Bridge.Core.Xds;
using Bridge.LoadTest.Catalog;
using Bridge.LoadTest.Measurement;
using Bridge.Testing.Ads;
using Grpc.Core;

namespace Bridge.LoadTest.Fleet;

/// <summary>A simulated Envoy on a state-of-the-world stream.</summary>
internal sealed class SotwProxy(int id, ProxyShape shape, SyntheticCatalog catalog, Propagation propagation)
    : Proxy(id, shape, catalog, propagation)
{
    private AdsClient? _client;
    private Task? _loop;
    private string? _route;

    public override Task<Status> Completion => _client?.Completion ?? Task.FromResult(Status.DefaultCancelled);

    public override async Task StartAsync(ChannelBase channel, CancellationToken ct)
    {
        _client = new AdsClient(channel, BuildNode(), new AdsClientOptions { AutoAck = true });
        _loop = Task.Run(ReadLoopAsync, CancellationToken.None);
        await _client.SubscribeAsync(TypeUrls.Cluster, WildcardNames, ct).ConfigureAwait(false);
        await _client.SubscribeAsync(TypeUrls.Listener, WildcardNames, ct).ConfigureAwait(false);
    }

    private async Task ReadLoopAsync()
    {
        var client = _client!;
        try
        {
            await foreach (var received in client.Responses.ReadAllAsync().ConfigureAwait(false))
            {
                var response = received.Response;
                CountResponse(response);
                switch (response.TypeUrl)
                {
                    case TypeUrls.Cluster:
                        var clusters = response.Resources.Select(r => ResourceName.Read(r.Value)).ToList();
                        if (SetClusters(clusters))
                        {
                            await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, clusters).ConfigureAwait(false);
                        }

                        break;
                    case TypeUrls.ClusterLoadAssignment:
                        foreach (var resource in response.Resources)
                        {
                            OnAssignment(ResourceName.Read(resource.Value), resource.Value, received.Timestamp);
                        }

                        break;
                    case TypeUrls.Listener:
                        OnListener();
                        var route = response.Resources.Select(r => ResourceName.RouteOf(r.Value)).FirstOrDefault(r => r is not null);
                        if (route is not null && route != _route)
                        {
                            _route = route;
                            await client.SubscribeAsync(TypeUrls.RouteConfiguration, [route]).ConfigureAwait(false);
                        }

                        break;
                    case TypeUrls.RouteConfiguration:
                        OnRoute();
                        break;
                }

                CheckSynced();
            }
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or OperationCanceledException)
        {
            // The stream ended while subscribing; Completion says how.
        }

        FailSync(await client.Completion.ConfigureAwait(false));
    }

    public override async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync().ConfigureAwait(false);
        }

        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
    }
}
