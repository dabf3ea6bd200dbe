namespace Bridge.Core.Consul.ConfigEntries;

/// <summary>A <c>service-router</c> entry: HTTP routes tried in order; what matches none goes to the service itself.</summary>
internal sealed record ServiceRouterEntry : ConfigEntry
{
    public IReadOnlyList<ServiceRoute>? Routes { get; init; }

    [JsonIgnore]
    public override ConfigEntryKind EntryKind => ConfigEntryKind.ServiceRouter;
}

/// <summary>One route; no match means every request, no destination means the router's own service.</summary>
internal sealed record ServiceRoute
{
    public ServiceRouteMatch? Match { get; init; }
    public ServiceRouteDestination? Destination { get; init; }
}

internal sealed record ServiceRouteMatch
{
    public ServiceRouteHttpMatch? Http { get; init; }
}

/// <summary>Every criterion given must hold. At most one of the path fields.</summary>
internal sealed record ServiceRouteHttpMatch
{
    public string? PathExact { get; init; }
    public string? PathPrefix { get; init; }
    public string? PathRegex { get; init; }
    public IReadOnlyList<RouteHeaderMatch>? Header { get; init; }
    public IReadOnlyList<RouteQueryParamMatch>? QueryParam { get; init; }
    public IReadOnlyList<string>? Methods { get; init; }
}

/// <summary>Exactly one of Present, Exact, Prefix, Suffix and Regex; Invert negates it.</summary>
internal sealed record RouteHeaderMatch
{
    public string? Name { get; init; }
    public bool Present { get; init; }
    public string? Exact { get; init; }
    public string? Prefix { get; init; }
    public string? Suffix { get; init; }
    public string? Regex { get; init; }
    public bool Invert { get; init; }
}

/// <summary>Exactly one of Present, Exact and Regex.</summary>
internal sealed record RouteQueryParamMatch
{
    public string? Name { get; init; }
    public bool Present { get; init; }
    public string? Exact { get; init; }
    public string? Regex { get; init; }
}

internal sealed record ServiceRouteDestination
{
    /// <summary>Empty means the router's own service.</summary>
    public string? Service { get; init; }

    /// <summary>Set, it sends the route straight to that subset's resolver, past any splitter.</summary>
    public string? ServiceSubset { get; init; }

    public string? Namespace { get; init; }
    public string? Partition { get; init; }

    /// <summary>Replaces the matched path prefix; needs PathExact or PathPrefix.</summary>
    public string? PrefixRewrite { get; init; }

    [JsonConverter(typeof(ConsulDurationJsonConverter))]
    public TimeSpan RequestTimeout { get; init; }

    [JsonConverter(typeof(ConsulDurationJsonConverter))]
    public TimeSpan IdleTimeout { get; init; }

    public uint NumRetries { get; init; }
    public bool RetryOnConnectFailure { get; init; }
    public IReadOnlyList<string>? RetryOn { get; init; }
    public IReadOnlyList<uint>? RetryOnStatusCodes { get; init; }
    public HttpHeaderModifiers? RequestHeaders { get; init; }
    public HttpHeaderModifiers? ResponseHeaders { get; init; }
}
