using Bridge.DevAgent.Filtering;

namespace Bridge.DevAgent.Http;

/// <summary>
/// The common read parameters, parsed in Consul's order and with its errors
/// (agent/http.go <c>parse</c>: dc, token, filter, consistency, wait and index).
/// </summary>
internal sealed record QueryOptions
{
    public required string Datacenter { get; init; }

    public required string Token { get; init; }

    public ulong MinIndex { get; init; }

    /// <summary>The requested wait; zero or negative means the default.</summary>
    public TimeSpan Wait { get; init; }

    public bool AllowStale { get; init; }

    public bool RequireConsistent { get; init; }

    /// <summary>The <c>?max_stale</c> bound; zero when not given.</summary>
    public TimeSpan MaxStale { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> NodeMeta { get; init; }

    /// <summary>The <c>?filter=</c> expression as given; empty when none.</summary>
    public string FilterExpression { get; init; } = string.Empty;

    /// <summary>The expression, compiled for the endpoint's element type once the token has been resolved.</summary>
    public Filter? Filter { get; init; }

    /// <summary>Whether an element passes the filter (every element does without one).</summary>
    public bool Keeps(object element) => Filter?.Matches(element) ?? true;

    public string ConsistencyLevel => RequireConsistent ? "consistent" : AllowStale ? "stale" : "leader";

    public static bool TryParse(HttpRequest request, string agentDatacenter, out QueryOptions options, out string error)
    {
        options = null!;
        var query = request.Query;
        var dc = query["dc"].FirstOrDefault();

        var stale = query.ContainsKey("stale");
        var consistent = query.ContainsKey("consistent");
        var maxStaleValue = TimeSpan.Zero;
        if (query["max_stale"].FirstOrDefault() is { Length: > 0 } maxStale)
        {
            if (!GoDuration.TryParse(maxStale, out maxStaleValue))
            {
                error = ConsulErrors.InvalidMaxStale(maxStale);
                return false;
            }

            stale |= maxStaleValue > TimeSpan.Zero;
        }

        if (stale && consistent)
        {
            error = ConsulErrors.StaleWithConsistent;
            return false;
        }

        if (query.ContainsKey("cached") && consistent)
        {
            error = ConsulErrors.CachedWithConsistent;
            return false;
        }

        var wait = TimeSpan.Zero;
        if (query["wait"].FirstOrDefault() is { Length: > 0 } rawWait && !GoDuration.TryParse(rawWait, out wait))
        {
            error = ConsulErrors.InvalidWait;
            return false;
        }

        ulong index = 0;
        if (query["index"].FirstOrDefault() is { Length: > 0 } rawIndex
            && !ulong.TryParse(rawIndex, NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            error = ConsulErrors.InvalidIndex;
            return false;
        }

        var nodeMeta = new List<KeyValuePair<string, string>>();
        foreach (var filter in query["node-meta"])
        {
            if (string.IsNullOrEmpty(filter))
            {
                continue;
            }

            var colon = filter.IndexOf(':', StringComparison.Ordinal);
            nodeMeta.Add(colon < 0 ? new(filter, string.Empty) : new(filter[..colon], filter[(colon + 1)..]));
        }

        options = new QueryOptions
        {
            Datacenter = string.IsNullOrEmpty(dc) ? agentDatacenter : dc,
            Token = Tokens.From(request),
            MinIndex = index,
            Wait = wait,
            AllowStale = stale,
            RequireConsistent = consistent,
            MaxStale = maxStaleValue,
            NodeMeta = nodeMeta,
            FilterExpression = query["filter"].FirstOrDefault() ?? string.Empty,
        };
        error = string.Empty;
        return true;
    }

    public bool MatchesNodeMeta(IReadOnlyDictionary<string, string>? meta)
    {
        foreach (var (key, value) in NodeMeta)
        {
            if (meta is null || !meta.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        return true;
    }
}
