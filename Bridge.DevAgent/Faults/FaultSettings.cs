using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.Faults;

/// <summary>
/// The whole set of faults in force: applying one replaces the previous set, so an absent fault is
/// off. Also the JSON body of <c>PUT /_dev/faults</c>; durations are Go duration strings ("250ms").
/// </summary>
public sealed record FaultSettings
{
    /// <summary>Delay added before every <c>/v1</c> request is handled.</summary>
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan Latency { get; init; }

    /// <summary>Answer requests with one of Consul's error responses.</summary>
    public ErrorFault? Error { get; init; }

    /// <summary>Corrupt successful JSON responses.</summary>
    public BodyFault? Body { get; init; }

    /// <summary>Drop every connection at once and refuse requests for a while.</summary>
    public DownFault? Down { get; init; }

    /// <summary>Answer blocking queries just before their deadline instead of on change.</summary>
    public LateAnswerFault? LateAnswer { get; init; }

    /// <summary>Overrides <see cref="DevAgentOptions.MaxConnsPerClient"/> for new connections (0 = unlimited).</summary>
    public int? MaxConnsPerClient { get; init; }

    /// <summary>Remove <c>X-Consul-Index</c> from answers, as a proxy that drops headers would.</summary>
    public StripIndexFault? StripIndex { get; init; }

    /// <summary>Answer <c>?stale</c> reads as a follower that lost the leader or lags behind it would.</summary>
    public StaleReadFault? StaleReads { get; init; }

    /// <summary>
    /// Datacenters (other than the agent's own) whose WAN link is down: requests routed there get 500 <c>Remote DC has no
    /// server currently reachable</c>, blocking queries parked there end with 500 <c>rpc error making call: EOF</c>, and
    /// config entries stop replicating to them until the fault is lifted.
    /// </summary>
    public IReadOnlyList<string>? UnreachableDatacenters { get; init; }
}

/// <summary>Which error response an <see cref="ErrorFault"/> sends; bodies are Consul's own.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ErrorFaultKind>))]
public enum ErrorFaultKind
{
    /// <summary>500 <c>No cluster leader</c>.</summary>
    NoLeader,

    /// <summary>500 <c>No path to datacenter</c>.</summary>
    NoPathToDatacenter,

    /// <summary>403 <c>ACL not found</c>.</summary>
    AclNotFound,

    /// <summary>403 <c>Permission denied</c>.</summary>
    PermissionDenied,

    /// <summary>429 with an empty body: the agent's <c>limits.rpc_rate</c> limiter (agent/http.go writes no body for it).</summary>
    RpcRateLimit,

    /// <summary>429 <c>rate limit exceeded, try again later or against a different server</c> (server <c>request_limits</c>).</summary>
    ServerRateLimit,

    /// <summary>503 <c>rate limit exceeded for operation that can only be performed by the leader, try again later</c>.</summary>
    LeaderRateLimit,

    /// <summary>The connection limiter's 429 (<c>Connection: close</c>, "Your IP is issuing too many concurrent connections..."), then close.</summary>
    TooManyConnections,

    /// <summary>Any <see cref="ErrorFault.StatusCode"/> with <see cref="ErrorFault.Body"/>.</summary>
    Custom,
}

/// <summary>Error responses for matching requests.</summary>
public sealed record ErrorFault
{
    /// <summary>The response to send.</summary>
    public ErrorFaultKind Kind { get; init; }

    /// <summary>How many requests get it; null means until cleared.</summary>
    public int? Count { get; init; }

    /// <summary>Only requests whose path starts with this (e.g. <c>/v1/health/</c>); null means every <c>/v1</c> request.</summary>
    public string? PathPrefix { get; init; }

    /// <summary>Status of a <see cref="ErrorFaultKind.Custom"/> response.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Body of a <see cref="ErrorFaultKind.Custom"/> response.</summary>
    public string? Body { get; init; }

    /// <summary>
    /// A <c>Retry-After</c> header with this many seconds, as a proxy or load balancer in front of Consul may send
    /// (Consul itself never does). Null sends none.
    /// </summary>
    public int? RetryAfter { get; init; }
}

/// <summary>How a <see cref="BodyFault"/> damages a 200 JSON response.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BodyFaultKind>))]
public enum BodyFaultKind
{
    /// <summary>Send the headers (with the full <c>Content-Length</c>) and the first half of the body, then close the connection.</summary>
    DropMidBody,

    /// <summary>A complete response whose JSON stops halfway.</summary>
    Truncated,

    /// <summary>A complete response whose body is not JSON at all.</summary>
    Garbage,

    /// <summary>Valid JSON with wrong types: ports and indexes as strings, tag lists as one string.</summary>
    WrongTypes,

    /// <summary>The real JSON padded with whitespace to <see cref="BodyFault.SizeBytes"/>: same meaning, huge size.</summary>
    Oversized,
}

/// <summary>Damaged bodies for matching successful JSON responses.</summary>
public sealed record BodyFault
{
    /// <summary>The damage.</summary>
    public BodyFaultKind Kind { get; init; }

    /// <summary>How many responses get it; null means until cleared.</summary>
    public int? Count { get; init; }

    /// <summary>Only requests whose path starts with this; null means every <c>/v1</c> request.</summary>
    public string? PathPrefix { get; init; }

    /// <summary>Total body size of an <see cref="BodyFaultKind.Oversized"/> response; 16 MiB when null.</summary>
    public long? SizeBytes { get; init; }
}

/// <summary>
/// The agent is down: every open connection is aborted at once and requests are dropped without a
/// response until it ends. <c>/_dev</c> requests still work, so scripts can end it.
/// </summary>
public sealed record DownFault
{
    /// <summary>How long; null means until cleared.</summary>
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? For { get; init; }
}

/// <summary>
/// Blocking queries ignore changes and answer at their deadline minus <see cref="Epsilon"/>, with
/// whatever the catalog holds then: the slowest answer a client can legitimately get.
/// </summary>
public sealed record LateAnswerFault
{
    /// <summary>How long before the deadline to answer; 10ms when null.</summary>
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? Epsilon { get; init; }

    /// <summary>Use the worst-case deadline, <c>wait + wait/16</c>, instead of <c>wait</c>.</summary>
    public bool IncludeJitter { get; init; }
}

/// <summary>Answers without <c>X-Consul-Index</c>, the rest untouched.</summary>
public sealed record StripIndexFault
{
    /// <summary>Only requests whose path starts with this; null means every <c>/v1</c> request.</summary>
    public string? PathPrefix { get; init; }
}

/// <summary>
/// How <c>?stale</c> reads (and <c>?max_stale</c> ones) are answered: by a server that may know no leader and may
/// be behind. Reads without <c>?stale</c> are unaffected: they get the current catalog with
/// <c>X-Consul-KnownLeader: true</c> and <c>X-Consul-LastContact: 0</c>, as the leader answers them. A read whose
/// <c>max_stale</c> is below <see cref="LastContact"/> is re-asked of the leader, as Consul's agent does.
/// </summary>
public sealed record StaleReadFault
{
    /// <summary>The <c>X-Consul-KnownLeader</c> value; true when absent.</summary>
    public bool KnownLeader { get; init; } = true;

    /// <summary>The <c>X-Consul-LastContact</c> value (sent in milliseconds); zero when absent.</summary>
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? LastContact { get; init; }

    /// <summary>
    /// Stale reads see the catalog as it was this many writes ago (1 to 64), moving on one write at a time as
    /// writes happen: a lagging follower.
    /// </summary>
    public int? LagWrites { get; init; }

    /// <summary>Stale reads see the catalog as it was when this fault was applied, however it changes after.</summary>
    public bool Freeze { get; init; }
}
