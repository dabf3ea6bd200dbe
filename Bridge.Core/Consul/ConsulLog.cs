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
        Message = "ACLs filtered {Held} served instances of {Service} out of Consul's answer; they stay until an unfiltered answer. Check the token's service:read and node:read rules")]
    public static partial void AclFilteredEmpty(ILogger logger, string service, int held);

    [LoggerMessage(EventId = 1006, EventName = "ConsulUnavailable", Level = LogLevel.Error,
        Message = "Consul is unreachable or erroring ({Reason}); serving the last known catalog until it answers")]
    public static partial void Unavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 1007, EventName = "ConsulAvailable", Level = LogLevel.Information,
        Message = "Consul answers again")]
    public static partial void Available(ILogger logger);

    [LoggerMessage(EventId = 1008, EventName = "AclFilteredServicesHeld", Level = LogLevel.Warning,
        Message = "ACLs filtered {Held} served services out of Consul's service list ({Services}); they stay until an unfiltered answer. Check the token's service:read rules")]
    public static partial void AclFilteredServicesHeld(ILogger logger, int held, string services);

    [LoggerMessage(EventId = 1009, EventName = "AclFilteredReleased", Level = LogLevel.Information,
        Message = "Consul's answer for {Scope} is no longer ACL-filtered; it is followed again")]
    public static partial void AclFilteredReleased(ILogger logger, string scope);

    [LoggerMessage(EventId = 1010, EventName = "ConsulIndexMissing", Level = LogLevel.Warning,
        Message = "Consul's answer to {Endpoint} carries no X-Consul-Index (a proxy stripping headers?): blocking queries cannot block, so it is polled every {PollIntervalMs} ms")]
    public static partial void IndexMissing(ILogger logger, string endpoint, long pollIntervalMs);

    [LoggerMessage(EventId = 1011, EventName = "StaleAnswerReRead", Level = LogLevel.Debug,
        Message = "A stale read of {Endpoint} was {LastContactMs} ms behind the leader (known leader: {KnownLeader}), more than Consul:MaxStale: read again from the leader")]
    public static partial void StaleReRead(ILogger logger, string endpoint, long lastContactMs, bool knownLeader);

    [LoggerMessage(EventId = 1020, EventName = "ConsulQueriesInFlight", Level = LogLevel.Information,
        Message = "Every Consul query has a slot: {Queries} blocking queries (the service list, each service, each config entry kind, each routing target), {Slots} slots ({Budget}); changes reach the bridge as Consul answers")]
    public static partial void QueriesInFlight(ILogger logger, int queries, int slots, string budget);

    [LoggerMessage(EventId = 1021, EventName = "ConsulQueriesShareSlots", Level = LogLevel.Warning,
        Message = "{Queries} blocking Consul queries (the service list, each service, each config entry kind, each routing target) but {Slots} slots ({Budget}): queries take turns and a change may take up to {WorstCaseDelaySeconds} s to reach the bridge; to keep every service fresh, {Remedy}")]
    public static partial void QueriesShareSlots(ILogger logger, int queries, int slots, string budget, long worstCaseDelaySeconds, string remedy);

    [LoggerMessage(EventId = 1022, EventName = "ConsulAgentLimitUnknown", Level = LogLevel.Warning,
        Message = "Could not read the agent's http_max_conns_per_client from /v1/agent/self ({Reason}); assuming Consul's default of {AssumedLimit} connections per client address: {Consequence}")]
    public static partial void AgentLimitUnknown(ILogger logger, string reason, int assumedLimit, string consequence);

    [LoggerMessage(EventId = 1023, EventName = "ConsulAgentLimitRead", Level = LogLevel.Information,
        Message = "The Consul agent allows {AgentLimit} connections per client address (0: no limit); up to {PerSource} queries from each source address")]
    public static partial void AgentLimitRead(ILogger logger, int agentLimit, int perSource);

    [LoggerMessage(EventId = 1024, EventName = "ConsulAgentLimitPending", Level = LogLevel.Debug,
        Message = "The agent's connection limit could not be read yet ({Reason}); trying again, Consul's default applies meanwhile")]
    public static partial void AgentLimitPending(ILogger logger, string reason);
}
