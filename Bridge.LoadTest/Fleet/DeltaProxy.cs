using Bridge.Core.Xds;
using Bridge.LoadTest.Catalog;
using Bridge.LoadTest.Measurement;
using Bridge.Testing.Ads;
using Grpc.Core;

namespace Bridge.LoadTest.Fleet;

/// <summary>A simulated Envoy on an incremental (delta) stream.</summary>
internal sealed class DeltaProxy(int id, ProxyShape shape, SyntheticCatalog catalog, Propagation propagation)
    : Proxy(id, shape, catalog, propagation)
{
    private DeltaAdsClient? _client;
    private Task? _loop;
    private string? _route;

    public override Task<Status> Completion => _client?.Completion ?? Task.FromResult(Status.DefaultCancelled);

    public override async Task StartAsync(ChannelBase channel, CancellationToken ct)
    {
        _client = new DeltaAdsClient(channel, BuildNode(), new AdsClientOptions { AutoAck = true });
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
                        var removed = response.RemovedResources.ToList();
                        var added = UpdateClusters(response.Resources.Select(r => r.Name), removed);
                        if (added.Count > 0)
                        {
                            await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, added).ConfigureAwait(false);
                        }

                        if (removed.Count > 0)
                        {
                            await client.UnsubscribeAsync(TypeUrls.ClusterLoadAssignment, removed).ConfigureAwait(false);
                        }

                        break;
                    case TypeUrls.ClusterLoadAssignment:
                        foreach (var resource in response.Resources)
                        {
                            if (resource.Resource_ is { } body)
                            {
                                OnAssignment(resource.Name, body.Value, received.Timestamp);
                            }
                        }

                        break;
                    case TypeUrls.Listener:
                        OnListener();
                        var route = response.Resources.Where(r => r.Resource_ is not null)
                            .Select(r => ResourceName.RouteOf(r.Resource_.Value)).FirstOrDefault(r => r is not null);
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
