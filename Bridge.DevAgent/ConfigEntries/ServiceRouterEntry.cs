using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.ConfigEntries;

/// <summary>
/// <c>service-router</c> (<c>structs.ServiceRouterConfigEntry</c>): HTTP routes of a service, tried in order, each
/// sending matching requests to a destination; unmatched requests go to the service itself.
/// </summary>
public sealed record ServiceRouterEntry : ConfigEntry
{
    /// <inheritdoc/>
    [JsonPropertyOrder(-100)]
    public override string Kind => ConfigEntryKinds.ServiceRouter;

    /// <summary>The routes; Go writes <c>null</c> for none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public IReadOnlyList<ServiceRoute>? Routes { get; init; }
}

/// <summary><c>ServiceRoute</c>.</summary>
public sealed record ServiceRoute
{
    /// <summary>What a request must match (everything when absent).</summary>
    public ServiceRouteMatch? Match { get; init; }

    /// <summary>Where matching requests go (the router's service when absent).</summary>
    public ServiceRouteDestination? Destination { get; init; }
}

/// <summary><c>ServiceRouteMatch</c>.</summary>
public sealed record ServiceRouteMatch
{
    /// <summary>HTTP criteria.</summary>
    [JsonPropertyName("HTTP")]
    public ServiceRouteHttpMatch? Http { get; init; }
}

/// <summary><c>ServiceRouteHTTPMatch</c>: at most one path criterion, plus headers, query parameters and methods.</summary>
public sealed record ServiceRouteHttpMatch
{
    /// <summary>Exact path (starts with <c>/</c>).</summary>
    public string? PathExact { get; init; }

    /// <summary>Path prefix (starts with <c>/</c>).</summary>
    public string? PathPrefix { get; init; }

    /// <summary>Path regular expression.</summary>
    public string? PathRegex { get; init; }

    /// <summary>Header criteria, all of which must hold.</summary>
    public IReadOnlyList<HeaderMatch>? Header { get; init; }

    /// <summary>Query parameter criteria, all of which must hold.</summary>
    public IReadOnlyList<QueryParamMatch>? QueryParam { get; init; }

    /// <summary>Allowed methods, stored in upper case.</summary>
    public IReadOnlyList<string>? Methods { get; init; }
}

/// <summary><c>ServiceRouteHTTPMatchHeader</c>: exactly one of Present, Exact, Prefix, Suffix, Regex.</summary>
public sealed record HeaderMatch
{
    /// <summary>Header name; always present.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The header is present.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Present { get; init; }

    /// <summary>Exact value.</summary>
    public string? Exact { get; init; }

    /// <summary>Value prefix.</summary>
    public string? Prefix { get; init; }

    /// <summary>Value suffix.</summary>
    public string? Suffix { get; init; }

    /// <summary>Value regular expression.</summary>
    public string? Regex { get; init; }

    /// <summary>Match when the criterion does not hold.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Invert { get; init; }
}

/// <summary><c>ServiceRouteHTTPMatchQueryParam</c>: exactly one of Present, Exact, Regex.</summary>
public sealed record QueryParamMatch
{
    /// <summary>Parameter name; always present.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The parameter is present.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Present { get; init; }

    /// <summary>Exact value.</summary>
    public string? Exact { get; init; }

    /// <summary>Value regular expression.</summary>
    public string? Regex { get; init; }
}

/// <summary>
/// <c>ServiceRouteDestination</c>. <c>RequestTimeout</c> and <c>IdleTimeout</c> are Go duration strings and come first,
/// as Consul's marshaller writes them.
/// </summary>
public sealed record ServiceRouteDestination
{
    /// <summary>Timeout of the whole request, retries included.</summary>
    [JsonPropertyOrder(-2)]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public TimeSpan RequestTimeout { get; init; }

    /// <summary>Idle timeout of the request stream.</summary>
    [JsonPropertyOrder(-1)]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public TimeSpan IdleTimeout { get; init; }

    /// <summary>Service (the router's own when empty).</summary>
    public string? Service { get; init; }

    /// <summary>Subset; skips the destination's splitter.</summary>
    public string? ServiceSubset { get; init; }

    /// <summary>Namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>Partition.</summary>
    public string? Partition { get; init; }

    /// <summary>Replacement for the matched path prefix (needs PathExact or PathPrefix).</summary>
    public string? PrefixRewrite { get; init; }

    /// <summary>Retries.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public uint NumRetries { get; init; }

    /// <summary>Retry on connection failures.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool RetryOnConnectFailure { get; init; }

    /// <summary>Envoy retry conditions.</summary>
    public IReadOnlyList<string>? RetryOn { get; init; }

    /// <summary>HTTP statuses that are retried.</summary>
    public IReadOnlyList<uint>? RetryOnStatusCodes { get; init; }

    /// <summary>Request header changes.</summary>
    public HttpHeaderModifiers? RequestHeaders { get; init; }

    /// <summary>Response header changes.</summary>
    public HttpHeaderModifiers? ResponseHeaders { get; init; }
}
