using Bridge.Core.Ads.Delta;
using Bridge.Core.Ads.Sotw;
using Bridge.Core.Xds;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Bridge.Core.Ads;

/// <summary>The Aggregated Discovery Service: every stream reads the same cache and keeps only its own state.</summary>
internal sealed class AdsService : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
{
    private readonly XdsCache _cache;
    private readonly StreamRegistry _registry;
    private readonly AdsOptions _options;
    private readonly ILogger _logger;

    public AdsService(XdsCache cache, StreamRegistry registry, AdsOptions options, ILogger<AdsService> logger)
    {
        _cache = cache;
        _registry = registry;
        _options = options;
        _logger = logger;
    }

    public override async Task StreamAggregatedResources(
        IAsyncStreamReader<DiscoveryRequest> requestStream,
        IServerStreamWriter<DiscoveryResponse> responseStream,
        ServerCallContext context)
    {
        RefuseWhileDraining();
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _registry.Draining);
        await new SotwStream(requestStream, responseStream, _cache, _options, _logger).RunAsync(_registry, context.Peer, stream.Token).ConfigureAwait(false);
    }

    public override async Task DeltaAggregatedResources(
        IAsyncStreamReader<DeltaDiscoveryRequest> requestStream,
        IServerStreamWriter<DeltaDiscoveryResponse> responseStream,
        ServerCallContext context)
    {
        RefuseWhileDraining();
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _registry.Draining);
        await new DeltaStream(requestStream, responseStream, _cache, _options, _logger).RunAsync(_registry, context.Peer, stream.Token).ConfigureAwait(false);
    }

    private void RefuseWhileDraining()
    {
        if (_registry.Draining.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the bridge is shutting down"));
        }
    }
}
