namespace Bridge.Core.Xds;

/// <summary>Translation and cache events. Event ids are part of the operator interface: never renumber or reuse one.</summary>
internal static partial class XdsLog
{
    [LoggerMessage(EventId = 3001, EventName = "InvalidInstanceSkipped", Level = LogLevel.Warning,
        Message = "Instance {ServiceId} of service {Service} on node {Node} is left out: invalid {Field} {Value}")]
    public static partial void InvalidInstance(ILogger logger, string service, string node, string serviceId, string field, string value);

    [LoggerMessage(EventId = 3002, EventName = "DuplicateEndpointSkipped", Level = LogLevel.Warning,
        Message = "Service {Service} lists {Endpoint} more than once (again on node {Node}); the duplicate is left out")]
    public static partial void DuplicateAddress(ILogger logger, string service, string node, string endpoint);

    [LoggerMessage(EventId = 3003, EventName = "SnapshotPublished", Level = LogLevel.Debug,
        Message = "xDS snapshot {Generation} published: {Changed} resources changed, {Removed} removed")]
    public static partial void SnapshotPublished(ILogger logger, long generation, int changed, int removed);

    [LoggerMessage(EventId = 3004, EventName = "InvalidServiceMeta", Level = LogLevel.Warning,
        Message = "Service {Service} has invalid meta {Key}={Value} (accepted: {Accepted}); serving it with the default for {Key}")]
    public static partial void InvalidServiceMeta(ILogger logger, string service, string key, string value, string accepted);

    [LoggerMessage(EventId = 3005, EventName = "PolicyNotSupportedByClient", Level = LogLevel.Debug,
        Message = "Service {Service} asks for {Policy}, which is not sent to gRPC clients; they get ROUND_ROBIN")]
    public static partial void PolicyNotSupported(ILogger logger, string service, string policy);

    [LoggerMessage(EventId = 3006, EventName = "ServiceNamesDifferInCase", Level = LogLevel.Warning,
        Message = "Services {Services} differ only in case: Envoy's route answers them with one virtual host, routed to {Chosen} (Consul returns the same instances for each spelling); each keeps its own cluster")]
    public static partial void ServiceNamesDifferInCase(ILogger logger, string services, string chosen);

    [LoggerMessage(EventId = 3007, EventName = "ChainNotServed", Level = LogLevel.Error,
        Message = "The routing of {Service} is not served: {Problem}; the routing served before stays in force")]
    public static partial void ChainNotServed(ILogger logger, string service, string problem);

    [LoggerMessage(EventId = 3008, EventName = "ChainPartNotSent", Level = LogLevel.Information,
        Message = "The routing of {Service} is sent to {Kind} clients without a part they cannot honour: {Where}: {What}")]
    public static partial void ChainPartNotSent(ILogger logger, string service, string kind, string where, string what);
}
