using Bridge.Core.Ads.Authorization;
using Bridge.Core.Ads.Delta;
using Bridge.Core.Ads.Sotw;
using Bridge.Core.Xds;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Bridge.Core.Ads;

/// <summary>
/// The Aggregated Discovery Service: every stream reads the same cache and keeps only its own state. Bound by
/// <see cref="BindService"/> rather than the generated base class, so requests are read by
/// <see cref="DiscoveryRequestReader"/>. The handlers are virtual and the class unsealed because the gRPC host only
/// serves a method that is a virtual declared by the bound class.
/// </summary>
[BindServiceMethod(typeof(AdsService), nameof(BindService))]
public class AdsService
{
    private static readonly string ServiceName = AggregatedDiscoveryService.Descriptor.FullName;

    // Responses go out already encoded (EncodedResponse); the server never reads one, so they have no parser.
    private static readonly Marshaller<EncodedResponse> Responses = Marshallers.Create<EncodedResponse>(
        static (response, context) =>
        {
            context.SetPayloadLength(response.Length);
            response.WriteTo(context.GetBufferWriter());
            context.Complete();
        },
        static _ => throw new NotSupportedException("the bridge only writes discovery responses"));

    private static readonly Method<DiscoveryRequest, EncodedResponse> StreamMethod = new(
        MethodType.DuplexStreaming, ServiceName, nameof(StreamAggregatedResources),
        Marshallers.Create(Serialize, static context => DiscoveryRequestReader.Parse(context.PayloadAsReadOnlySequence())),
        Responses);

    private static readonly Method<DeltaDiscoveryRequest, EncodedResponse> DeltaMethod = new(
        MethodType.DuplexStreaming, ServiceName, nameof(DeltaAggregatedResources),
        Marshallers.Create(Serialize, static context => DeltaDiscoveryRequest.Parser.ParseFrom(context.PayloadAsReadOnlySequence())),
        Responses);

    /// <summary>Called by the gRPC host to learn the service's methods (with a null instance) and to serve them.</summary>
    public static void BindService(ServiceBinderBase binder, AdsService? service)
    {
        binder.AddMethod(StreamMethod, service is null ? null : service.StreamAggregatedResources);
        binder.AddMethod(DeltaMethod, service is null ? null : service.DeltaAggregatedResources);
    }

    private static void Serialize<T>(T message, SerializationContext context)
        where T : Google.Protobuf.IMessage
    {
        context.SetPayloadLength(message.CalculateSize());
        Google.Protobuf.MessageExtensions.WriteTo(message, context.GetBufferWriter());
        context.Complete();
    }

    private readonly XdsCache _cache;
    private readonly StreamRegistry _registry;
    private readonly Func<AdsOptions> _options;
    private readonly ILogger _logger;
    private readonly IStreamAuthorizer? _authorizer;
    private readonly TimeProvider _time;

    /// <param name="authorizer">Who may have a stream; none serves every proxy that reaches the listener.</param>
    /// <param name="options">The ADS settings in force: each stream reads them when it opens, so a reload applies to new streams.</param>
    /// <param name="time">The clock stream ages are measured on; the system's when null.</param>
    internal AdsService(XdsCache cache, StreamRegistry registry, Func<AdsOptions> options, ILogger<AdsService> logger, IStreamAuthorizer? authorizer = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _cache = cache;
        _registry = registry;
        _options = options;
        _logger = logger;
        _authorizer = authorizer;
    }

    /// <summary>
    /// How the host closes a proxy's connection gracefully (HTTP/2 GOAWAY: no new streams on it; it closes once its
    /// streams are done). A stream ended for its age (<see cref="AdsOptions.MaxStreamAge"/>) retires its own
    /// connection, so that the proxy reconnects over a new one, which its load balancer or DNS may send to another
    /// replica; over the old one it would reach the same replica again. None: only the stream ends.
    /// </summary>
    public Action<ServerCallContext>? RetireConnection { get; set; }

    public virtual async Task StreamAggregatedResources(
        IAsyncStreamReader<DiscoveryRequest> requestStream,
        IServerStreamWriter<EncodedResponse> responseStream,
        ServerCallContext context)
    {
        RefuseWhileDraining();
        var requests = Authorize(requestStream, static r => r.Node, context);
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _registry.Draining);
        await new SotwStream(requests, responseStream, _cache, _options(), _logger, _time).RunAsync(_registry, context.Peer, stream.Token, Retire(context)).ConfigureAwait(false);
    }

    /// <summary>
    /// The token is checked before anything else, so a proxy without one never reaches a stream and holds nothing.
    /// Node rules need the first request: the stream reads it through a wrapper that checks it before the stream
    /// sees it. Either refusal is PERMISSION_DENIED, logged with the peer, node id and reason.
    /// </summary>
    private IAsyncStreamReader<TRequest> Authorize<TRequest>(IAsyncStreamReader<TRequest> requests, Func<TRequest, Node?> nodeOf, ServerCallContext context)
    {
        if (_authorizer is null)
        {
            return requests;
        }

        var call = _authorizer.AuthorizeCall(context.RequestHeaders);
        if (!call.Allowed)
        {
            throw Refuse(context.Peer, "(unknown)", call.Reason);
        }

        if (!_authorizer.InspectsNode)
        {
            return requests;
        }

        var authorizer = _authorizer;
        return new AuthorizingStreamReader<TRequest>(requests, first =>
        {
            var node = nodeOf(first);
            var decision = authorizer.AuthorizeNode(node);
            if (!decision.Allowed)
            {
                throw Refuse(context.Peer, node?.Id ?? "(none)", decision.Reason);
            }
        });
    }

    private Action Retire(ServerCallContext context) => () => RetireConnection?.Invoke(context);

    private RpcException Refuse(string peer, string nodeId, string reason)
    {
        AdsLog.StreamUnauthorized(_logger, peer, nodeId, reason);
        return new RpcException(new Status(StatusCode.PermissionDenied, $"not authorized: {reason}"));
    }

    public virtual async Task DeltaAggregatedResources(
        IAsyncStreamReader<DeltaDiscoveryRequest> requestStream,
        IServerStreamWriter<EncodedResponse> responseStream,
        ServerCallContext context)
    {
        RefuseWhileDraining();
        var requests = Authorize(requestStream, static r => r.Node, context);
        using var stream = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _registry.Draining);
        await new DeltaStream(requests, responseStream, _cache, _options(), _logger, _time).RunAsync(_registry, context.Peer, stream.Token, Retire(context)).ConfigureAwait(false);
    }

    private void RefuseWhileDraining()
    {
        if (_registry.Draining.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the bridge is shutting down"));
        }
    }
}
