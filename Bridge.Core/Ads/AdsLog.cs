namespace Bridge.Core.Ads;

/// <summary>ADS events. Event ids are part of the operator interface: never renumber or reuse one.</summary>
internal static partial class AdsLog
{
    [LoggerMessage(EventId = 4001, EventName = "StreamOpened", Level = LogLevel.Information,
        Message = "xDS stream {StreamId} opened by node {NodeId} ({ClientKind}, {Protocol}) from {Peer}")]
    public static partial void StreamOpened(ILogger logger, long streamId, string nodeId, string clientKind, string protocol, string peer);

    [LoggerMessage(EventId = 4002, EventName = "StreamClosed", Level = LogLevel.Information,
        Message = "xDS stream {StreamId} of node {NodeId} closed: {Reason}")]
    public static partial void StreamClosed(ILogger logger, long streamId, string nodeId, string reason);

    [LoggerMessage(EventId = 4003, EventName = "Ack", Level = LogLevel.Debug,
        Message = "Node {NodeId} accepted {TypeUrl} version {Version}")]
    public static partial void Ack(ILogger logger, string nodeId, string typeUrl, string version);

    [LoggerMessage(EventId = 4004, EventName = "Nack", Level = LogLevel.Warning,
        Message = "Node {NodeId} rejected {TypeUrl} version {Version}: {ErrorDetail}")]
    public static partial void Nack(ILogger logger, string nodeId, string typeUrl, string version, string errorDetail);

    [LoggerMessage(EventId = 4005, EventName = "UnknownTypeUrl", Level = LogLevel.Warning,
        Message = "Node {NodeId} asked for unknown type {TypeUrl}; ignored")]
    public static partial void UnknownTypeUrl(ILogger logger, string nodeId, string typeUrl);

    [LoggerMessage(EventId = 4006, EventName = "StaleNonceIgnored", Level = LogLevel.Debug,
        Message = "Node {NodeId} sent {TypeUrl} request with stale nonce {Nonce}; ignored")]
    public static partial void StaleNonce(ILogger logger, string nodeId, string typeUrl, string nonce);

    [LoggerMessage(EventId = 4007, EventName = "Response", Level = LogLevel.Debug,
        Message = "Sent node {NodeId} {TypeUrl} version {Version} with {Resources} resources, nonce {Nonce}")]
    public static partial void Response(ILogger logger, string nodeId, string typeUrl, string version, int resources, string nonce);

    [LoggerMessage(EventId = 4008, EventName = "RequestRejected", Level = LogLevel.Warning,
        Message = "xDS stream of node {NodeId} from {Peer} ended: {Reason}")]
    public static partial void RequestRejected(ILogger logger, string nodeId, string peer, string reason);

    [LoggerMessage(EventId = 4009, EventName = "StreamRefused", Level = LogLevel.Warning,
        Message = "xDS stream from {Peer} refused: {Reason}")]
    public static partial void StreamRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 4010, EventName = "NotSyncedInTime", Level = LogLevel.Warning,
        Message = "xDS stream from {Peer} told to retry: no full catalog within {TimeoutSeconds} s of its arrival")]
    public static partial void NotSyncedInTime(ILogger logger, string peer, double timeoutSeconds);

    [LoggerMessage(EventId = 4012, EventName = "StreamMaxAgeReached", Level = LogLevel.Information,
        Message = "xDS stream {StreamId} of node {NodeId} ended after {AgeSeconds} s, past its limit of {LimitSeconds} s (Ads:MaxStreamAge {MaxStreamAge} with jitter): the proxy reconnects, to this bridge or another")]
    public static partial void StreamMaxAgeReached(ILogger logger, long streamId, string nodeId, double ageSeconds, double limitSeconds, TimeSpan maxStreamAge);

    [LoggerMessage(EventId = 4011, EventName = "StreamUnauthorized", Level = LogLevel.Warning,
        Message = "xDS stream from {Peer} of node {NodeId} refused (PERMISSION_DENIED): {Reason}")]
    public static partial void StreamUnauthorized(ILogger logger, string peer, string nodeId, string reason);
}
