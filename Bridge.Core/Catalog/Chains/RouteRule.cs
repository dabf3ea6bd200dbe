namespace Bridge.Core.Catalog.Chains;

/// <summary>
/// One rule of a chain: requests that match go to the destination. Rules are tried in order; the last is the
/// catch-all (<see cref="IsCatchAll"/>), which matches every request.
/// </summary>
internal sealed record RouteRule(RouteMatch Match, RouteDestination Destination)
{
    /// <summary>Replaces the matched path prefix (or the whole exact path); null to keep the path.</summary>
    public string? PrefixRewrite { get; init; }

    /// <summary>For the whole request, retries included; null when the route sets none.</summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>How long the request stream may be idle; null when the route sets none.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Null when the route asks for no retries.</summary>
    public RetryPolicy? Retry { get; init; }

    public HeaderChanges RequestHeaders { get; init; } = HeaderChanges.None;

    public HeaderChanges ResponseHeaders { get; init; } = HeaderChanges.None;

    /// <summary>The implicit last rule: every request to the chain's own service not matched before.</summary>
    public bool IsCatchAll { get; init; }
}

/// <summary>Every criterion must hold.</summary>
/// <param name="Methods">Upper case; empty means any method.</param>
internal sealed record RouteMatch(
    PathMatch Path,
    EquatableArray<HeaderMatch> Headers,
    EquatableArray<QueryParamMatch> QueryParams,
    EquatableArray<string> Methods)
{
    /// <summary>Path prefix <c>/</c> and nothing else.</summary>
    public static RouteMatch Everything { get; } = new(PathMatch.Root, [], [], []);
}

internal enum PathMatchKind
{
    Prefix,
    Exact,
    Regex,
}

internal sealed record PathMatch(PathMatchKind Kind, string Value)
{
    public static PathMatch Root { get; } = new(PathMatchKind.Prefix, "/");
}

internal enum HeaderMatchKind
{
    Present,
    Exact,
    Prefix,
    Suffix,
    Regex,
}

/// <param name="Value">Empty for <see cref="HeaderMatchKind.Present"/>.</param>
/// <param name="Invert">The request matches when the header does not.</param>
internal sealed record HeaderMatch(string Name, HeaderMatchKind Kind, string Value, bool Invert);

internal enum QueryParamMatchKind
{
    Present,
    Exact,
    Regex,
}

/// <param name="Value">Empty for <see cref="QueryParamMatchKind.Present"/>.</param>
internal sealed record QueryParamMatch(string Name, QueryParamMatchKind Kind, string Value);

/// <param name="NumRetries">0 means the proxy's default count.</param>
/// <param name="RetryOn">Envoy retry conditions (<c>5xx</c>, <c>reset</c>, <c>unavailable</c>, ...), as given.</param>
/// <param name="RetryOnStatusCodes">HTTP statuses that are retried.</param>
internal sealed record RetryPolicy(
    uint NumRetries,
    bool RetryOnConnectFailure,
    EquatableArray<string> RetryOn,
    EquatableArray<uint> RetryOnStatusCodes);

/// <summary>Where a rule sends traffic: one <see cref="TargetDestination"/> or a <see cref="SplitDestination"/>.</summary>
internal abstract record RouteDestination;

internal sealed record TargetDestination(TargetId Target) : RouteDestination;

/// <summary>Shares of traffic, in the splitter's order, nested splitters flattened into their leaves.</summary>
internal sealed record SplitDestination(EquatableArray<Split> Splits) : RouteDestination;

/// <param name="Weight">Percent of the traffic, in steps of 0.01; the weights of a destination sum to 100.</param>
internal sealed record Split(decimal Weight, TargetId Target)
{
    public HeaderChanges RequestHeaders { get; init; } = HeaderChanges.None;

    public HeaderChanges ResponseHeaders { get; init; } = HeaderChanges.None;
}

internal readonly record struct HeaderValue(string Name, string Value);

/// <summary>Header changes: <see cref="Add"/> appends, <see cref="Set"/> overwrites (both by name), <see cref="Remove"/> strips.</summary>
internal sealed record HeaderChanges(EquatableArray<HeaderValue> Add, EquatableArray<HeaderValue> Set, EquatableArray<string> Remove)
{
    public static HeaderChanges None { get; } = new([], [], []);

    public bool IsEmpty => Add.Count == 0 && Set.Count == 0 && Remove.Count == 0;

    /// <summary>
    /// <paramref name="overrides"/> applied over <paramref name="baseline"/>: a name in both takes the override's value
    /// (for Add too, since one name cannot be added twice in a config entry), removals are united.
    /// </summary>
    public static HeaderChanges Merge(HeaderChanges baseline, HeaderChanges overrides)
    {
        if (overrides.IsEmpty)
        {
            return baseline;
        }

        if (baseline.IsEmpty)
        {
            return overrides;
        }

        return new HeaderChanges(
            Union(baseline.Add, overrides.Add),
            Union(baseline.Set, overrides.Set),
            baseline.Remove.Concat(overrides.Remove).Distinct(StringComparer.Ordinal).ToEquatableArray());
    }

    private static EquatableArray<HeaderValue> Union(EquatableArray<HeaderValue> baseline, EquatableArray<HeaderValue> overrides) =>
        baseline.Where(b => !overrides.Any(o => o.Name == b.Name))
            .Concat(overrides)
            .OrderBy(h => h.Name, StringComparer.Ordinal)
            .ToEquatableArray();
}
