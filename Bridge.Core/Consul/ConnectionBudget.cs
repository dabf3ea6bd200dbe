namespace Bridge.Core.Consul;

/// <summary>
/// How many queries the bridge may have in flight to Consul, and from which local addresses. Over plain HTTP each
/// blocking query holds a TCP connection, and an agent lets each client address hold
/// <c>http_max_conns_per_client</c> of them (200 by default) before it answers 429. The bridge reads that limit from
/// <c>/v1/agent/self</c> (or assumes Consul's default), takes nine tenths of it from each source address, and spreads
/// its connections over loopback addresses when the agent is on this host, so that every watched service can keep
/// its query in flight. Over HTTPS the queries are HTTP/2 streams on a few connections.
/// </summary>
internal sealed class ConnectionBudget
{
    /// <summary>Consul's default <c>http_max_conns_per_client</c>, assumed while the agent's own is unknown.</summary>
    public const int DefaultAgentLimit = 200;

    /// <summary>Queries from one address when the agent sets no limit (<c>http_max_conns_per_client = 0</c>).</summary>
    public const int UnlimitedAgentQueries = 5000;

    /// <summary>How often the agent's limit is read again while queries take turns: <c>consul reload</c> applies a raised one.</summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private readonly ConsulOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _sourceReason;
    private readonly Lock _gate = new();
    private int _agentLimit = DefaultAgentLimit;
    private LimitOrigin _origin = LimitOrigin.Assumed;
    private (int Queries, int Slots, bool Fits)? _reported;

    /// <param name="options">The Consul settings.</param>
    /// <param name="logger">Where the budget and the freshness it allows are reported.</param>
    /// <param name="time">Paces the reads of the agent's limit.</param>
    /// <param name="sources">Source addresses to use instead of those <see cref="ConsulOptions.SourceAddresses"/> names (tests).</param>
    /// <param name="sourceReason">Why those addresses, for the log.</param>
    public ConnectionBudget(ConsulOptions options, ILogger<ConnectionBudget> logger, TimeProvider? time = null, SourceAddressPool? sources = null, string? sourceReason = null)
    {
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        var perSource = PerSource(DefaultAgentLimit, options.MaxConcurrentQueries, limitKnown: false);
        if (options.UsesTls)
        {
            _sourceReason = "HTTP/2 streams";
        }
        else if (sources is null && sourceReason is null)
        {
            Sources = SourceAddressPool.For(options, perSource, out _sourceReason);
        }
        else
        {
            Sources = sources;
            _sourceReason = sourceReason ?? "";
        }

        if (Sources is not null)
        {
            Sources.PerAddress = perSource;
        }

        Slots = new QuerySlots(Capacity(perSource));
        Slots.DemandChanged += _ => Report();
    }

    private enum LimitOrigin
    {
        Assumed,
        Agent,
    }

    /// <summary>The queries allowed in flight; the watcher takes a slot for each.</summary>
    public QuerySlots Slots { get; }

    /// <summary>The local addresses connections leave from; null when the operating system picks (one address).</summary>
    public SourceAddressPool? Sources { get; }

    /// <summary>The agent's limit in force: read from the agent, else Consul's default.</summary>
    public int AgentLimit
    {
        get
        {
            lock (_gate)
            {
                return _agentLimit;
            }
        }
    }

    /// <summary>Whether <see cref="AgentLimit"/> was read from the agent rather than assumed.</summary>
    public bool AgentLimitKnown
    {
        get
        {
            lock (_gate)
            {
                return _origin == LimitOrigin.Agent;
            }
        }
    }

    /// <summary>
    /// Queries one source address may hold over plain HTTP: the agent's limit less a tenth (kept for connections still
    /// closing on the agent's side and for other clients), or <paramref name="configured"/> when set, never above that
    /// share of a limit read from the agent.
    /// </summary>
    public static int PerSource(int agentLimit, int configured, bool limitKnown)
    {
        var fromAgent = agentLimit == 0 ? UnlimitedAgentQueries : Math.Max(1, agentLimit - ((agentLimit + 9) / 10));
        if (configured <= 0)
        {
            return fromAgent;
        }

        return limitKnown && agentLimit > 0 ? Math.Min(configured, fromAgent) : configured;
    }

    /// <summary>The smallest <c>http_max_conns_per_client</c> under which one address may hold <paramref name="queries"/>.</summary>
    public static int LimitFor(int queries)
    {
        var limit = queries;
        while (PerSource(limit, 0, limitKnown: true) < queries)
        {
            limit++;
        }

        return limit;
    }

    /// <summary>
    /// Reads the agent's <c>http_max_conns_per_client</c> once before the watch starts, then in the background: again
    /// and again while Consul cannot be reached (the assumed default applies meanwhile), and every
    /// <see cref="RecheckInterval"/> while queries take turns, so that a limit raised with <c>consul reload</c> is
    /// used without a restart. Only over plain HTTP.
    /// </summary>
    /// <param name="read">Reads <c>DebugConfig.HTTPMaxConnsPerClient</c>; null when the agent does not say.</param>
    public async Task StartAsync(Func<CancellationToken, Task<int?>> read, CancellationToken ct)
    {
        if (_options.UsesTls)
        {
            return;
        }

        var answered = await TryReadAsync(read, ct).ConfigureAwait(false);
        _ = FollowAsync(read, answered, ct);
    }

    private async Task FollowAsync(Func<CancellationToken, Task<int?>> read, bool answered, CancellationToken ct)
    {
        var retry = _options.RetryBaseDelay;
        try
        {
            while (true)
            {
                await Task.Delay(answered ? RecheckInterval : retry, _time, ct).ConfigureAwait(false);
                if (!answered)
                {
                    retry = retry * 2 < _options.RetryMaxDelay ? retry * 2 : _options.RetryMaxDelay;
                    answered = await TryReadAsync(read, ct).ConfigureAwait(false);
                }
                else if (AgentLimitKnown && Slots.Demand > Slots.Capacity)
                {
                    await TryReadAsync(read, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One attempt; true when the answer is final (a limit, or a refusal that retrying will not change).</summary>
    private async Task<bool> TryReadAsync(Func<CancellationToken, Task<int?>> read, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ReadTimeout);
        try
        {
            var limit = await read(timeout.Token).ConfigureAwait(false);
            if (limit is not { } known || known < 0)
            {
                Unread("the agent's answer has no DebugConfig.HTTPMaxConnsPerClient");
                return true;
            }

            Apply(known);
            return true;
        }
        catch (ConsulException e) when (e.Kind is ConsulErrorKind.Forbidden or ConsulErrorKind.UnexpectedStatus or ConsulErrorKind.Configuration)
        {
            Unread(e.Kind == ConsulErrorKind.Forbidden ? $"{e.Reason}: the token needs agent:read" : e.Reason);
            return true;
        }
        catch (ConsulException e)
        {
            ConsulLog.AgentLimitPending(_logger, e.Reason);
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            ConsulLog.AgentLimitPending(_logger, $"no answer within {ReadTimeout.TotalSeconds:0} s");
            return false;
        }
    }

    private void Unread(string reason)
    {
        ConsulLog.AgentLimitUnknown(_logger, reason, DefaultAgentLimit, _options.MaxConcurrentQueries > 0
            ? $"Consul:MaxConcurrentQueries ({_options.MaxConcurrentQueries}) is used as set"
            : $"{PerSource(DefaultAgentLimit, 0, false)} queries per source address; if the agent allows fewer, set Consul:MaxConcurrentQueries");
    }

    private void Apply(int limit)
    {
        int perSource;
        lock (_gate)
        {
            if (_origin == LimitOrigin.Agent && _agentLimit == limit)
            {
                return;
            }

            _agentLimit = limit;
            _origin = LimitOrigin.Agent;
            perSource = PerSource(limit, _options.MaxConcurrentQueries, limitKnown: true);
        }

        ConsulLog.AgentLimitRead(_logger, limit, perSource);
        if (Sources is not null)
        {
            Sources.PerAddress = perSource;
        }

        Slots.Resize(Capacity(perSource));
        Report();
    }

    /// <summary>
    /// Consul's HTTPS endpoint answered over HTTP/1.1: each query in flight now holds a connection of its own, and
    /// the transport opens at most <see cref="ConsulOptions.Http1FallbackConnections"/>. The slots shrink to that,
    /// so queries take turns with shorter waits instead of the ones beyond it waiting minutes for a connection.
    /// </summary>
    public void Http2Refused()
    {
        if (!_options.UsesTls || Interlocked.Exchange(ref _http1, 1) == 1)
        {
            return;
        }

        Slots.Resize(_options.Http1FallbackConnections);
        Report();
    }

    private int _http1;

    private int Capacity(int perSource)
    {
        if (_options.UsesTls)
        {
            return Volatile.Read(ref _http1) == 1 ? _options.Http1FallbackConnections : _options.MaxConcurrentQueriesHttp2;
        }

        // An agent without a limit needs no second address.
        return Sources is null || (AgentLimitKnown && AgentLimit == 0) ? perSource : perSource * Sources.Addresses.Count;
    }

    /// <summary>Logs what freshness the slots allow, the first time and whenever the answer changes.</summary>
    private void Report()
    {
        var queries = Slots.Demand;
        if (queries == 0)
        {
            return;
        }

        var slots = Slots.Capacity;
        var fits = queries <= slots;
        lock (_gate)
        {
            // Short of slots, a service more or less changes little: only a shortfall that moved by a twentieth is news.
            if (_reported is { } last && last.Fits == fits && last.Slots == slots && (fits || Math.Abs(queries - last.Queries) * 20 < last.Queries))
            {
                return;
            }

            _reported = (queries, slots, fits);
        }

        var budget = Describe(slots);
        if (fits)
        {
            ConsulLog.QueriesInFlight(_logger, queries, slots, budget);
            return;
        }

        var delay = Slots.WorstCaseDelay(_options.Wait, queries);
        ConsulLog.QueriesShareSlots(_logger, queries, slots, budget, (long)Math.Ceiling(delay.TotalSeconds), Remedy(queries));
    }

    private string Describe(int slots)
    {
        if (_options.UsesTls)
        {
            return Volatile.Read(ref _http1) == 1
                ? $"HTTPS answered over HTTP/1.1, one connection per query, at most {slots} connections"
                : $"HTTP/2 streams, Consul:MaxConcurrentQueriesHttp2 = {slots}";
        }

        var (limit, known) = (AgentLimit, AgentLimitKnown);
        var perSource = PerSource(limit, _options.MaxConcurrentQueries, known);
        var agent = limit == 0 && known
            ? "the agent sets no per-client limit"
            : $"the agent allows {limit} connections per client address ({(known ? "read from /v1/agent/self" : "assumed: Consul's default")})";
        var from = Sources is null
            ? $"one source address ({_sourceReason})"
            : $"{Sources.Addresses.Count} source addresses from {Sources.Addresses[0]} ({_sourceReason})";
        return string.Create(CultureInfo.InvariantCulture, $"up to {perSource} from each of {from}; {agent}");
    }

    private string Remedy(int queries)
    {
        if (_options.UsesTls)
        {
            return $"raise Consul:MaxConcurrentQueriesHttp2 to at least {queries}";
        }

        var sources = Sources is null ? 1 : Sources.Addresses.Count;
        var need = (queries + sources - 1) / sources;
        var remedy = $"raise limits.http_max_conns_per_client on the agent to at least {LimitFor(need)}";
        if (_options.MaxConcurrentQueries > 0 && _options.MaxConcurrentQueries < need)
        {
            remedy += $" and Consul:MaxConcurrentQueries to at least {need}";
        }
        else if (_options.MaxConcurrentQueries <= 0 && !AgentLimitKnown)
        {
            remedy += $" and give the bridge's token agent:read (or set Consul:MaxConcurrentQueries to {need})";
        }

        return remedy + ", or reach Consul over https:// (HTTP/2)";
    }
}
