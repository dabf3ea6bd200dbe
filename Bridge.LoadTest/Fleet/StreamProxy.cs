namespace Bridge.LoadTest.Fleet;

/// <summary>
/// A simulated Envoy on one ADS stream: it asks for every cluster and listener, then the assignments of the clusters
/// it holds and the route its listener names, as Envoy does. The protocols differ only in how a response lists its
/// resources and how clusters come and go.
/// </summary>
/// <typeparam name="TClient">The ADS client of the protocol.</typeparam>
/// <typeparam name="TResponse">The stream's response message.</typeparam>
internal abstract class StreamProxy<TClient, TResponse>(int id, ProxyShape shape, SyntheticCatalog catalog, Propagation propagation)
    : Proxy(id, shape, catalog, propagation)
    where TClient : class, IAdsClient<TResponse>
    where TResponse : class, IMessage
{
    private TClient? _client;
    private Task? _loop;
    private string? _route;

    public override Task<Status> Completion => _client?.Completion ?? Task.FromResult(Status.DefaultCancelled);

    public override async Task StartAsync(ChannelBase channel, CancellationToken ct)
    {
        _client = Open(channel, BuildNode());
        _loop = Task.Run(ReadLoopAsync, CancellationToken.None);
        await _client.SubscribeAsync(TypeUrls.Cluster, WildcardNames, ct).ConfigureAwait(false);
        await _client.SubscribeAsync(TypeUrls.Listener, WildcardNames, ct).ConfigureAwait(false);
    }

    /// <summary>Opens the stream, answering every response with an ACK.</summary>
    protected abstract TClient Open(ChannelBase channel, Envoy.Config.Core.V3.Node node);

    protected abstract string TypeUrlOf(TResponse response);

    /// <summary>Each resource the response carries, by name, with its bytes.</summary>
    protected abstract IEnumerable<(string Name, ByteString Body)> Resources(TResponse response);

    /// <summary>Takes a cluster response: the assignments of clusters that came are subscribed to, those that went dropped.</summary>
    protected abstract Task OnClustersAsync(TClient client, TResponse response);

    private async Task ReadLoopAsync()
    {
        var client = _client!;
        try
        {
            await foreach (var received in client.Responses.ReadAllAsync().ConfigureAwait(false))
            {
                var response = received.Response;
                CountResponse(response);
                switch (TypeUrlOf(response))
                {
                    case TypeUrls.Cluster:
                        await OnClustersAsync(client, response).ConfigureAwait(false);
                        break;
                    case TypeUrls.ClusterLoadAssignment:
                        foreach (var (name, body) in Resources(response))
                        {
                            OnAssignment(name, body, received.Timestamp);
                        }

                        break;
                    case TypeUrls.Listener:
                        OnListener();
                        var route = Resources(response).Select(r => ResourceName.RouteOf(r.Body)).FirstOrDefault(r => r is not null);
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
