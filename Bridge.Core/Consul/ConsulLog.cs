using Microsoft.Extensions.Logging;

namespace Bridge.Core.Consul;

/// <summary>Consul-side events. Event ids are part of the operator interface: never renumber or reuse one.</summary>
internal static partial class ConsulLog
{
    [LoggerMessage(EventId = 1001, EventName = "ConsulQueryFailed", Level = LogLevel.Warning,
        Message = "Consul query {Endpoint} failed ({ErrorKind}): {Reason}; retrying in {RetryDelayMs} ms, the last good state stays in force")]
    public static partial void QueryFailed(ILogger logger, string endpoint, ConsulErrorKind errorKind, string reason, long retryDelayMs);

    [LoggerMessage(EventId = 1002, EventName = "ConsulQueryRecovered", Level = LogLevel.Information,
        Message = "Consul query {Endpoint} answers again after {Failures} failed attempts")]
    public static partial void QueryRecovered(ILogger logger, string endpoint, int failures);

    [LoggerMessage(EventId = 1003, EventName = "ServiceWatchStarted", Level = LogLevel.Debug,
        Message = "Watching service {Service}")]
    public static partial void WatchStarted(ILogger logger, string service);

    [LoggerMessage(EventId = 1004, EventName = "ServiceWatchStopped", Level = LogLevel.Debug,
        Message = "Stopped watching service {Service}: it left the catalog or the filters")]
    public static partial void WatchStopped(ILogger logger, string service);

    [LoggerMessage(EventId = 1005, EventName = "AclFilteredEmptyIgnored", Level = LogLevel.Warning,
        Message = "Consul returned no instances for {Service} because ACLs filtered them; keeping the last known instances. Check the token's service:read and node:read rules")]
    public static partial void AclFilteredEmpty(ILogger logger, string service);

    [LoggerMessage(EventId = 1006, EventName = "ConsulUnavailable", Level = LogLevel.Error,
        Message = "Consul is unreachable or erroring ({Reason}); serving the last known catalog until it answers")]
    public static partial void Unavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 1007, EventName = "ConsulAvailable", Level = LogLevel.Information,
        Message = "Consul answers again")]
    public static partial void Available(ILogger logger);
}
