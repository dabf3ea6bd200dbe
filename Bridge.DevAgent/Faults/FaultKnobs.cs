using Bridge.DevAgent.Catalog;

namespace Bridge.DevAgent.Faults;

/// <summary>
/// Faults the agent injects, settable from C# or over HTTP (<c>/_dev/faults</c>). Thread-safe: the
/// set in force is an immutable snapshot swapped atomically; only the "next N" counts are shared.
/// </summary>
public sealed partial class FaultKnobs
{
    private const int Unlimited = -1;
    private static readonly TimeSpan DefaultEpsilon = TimeSpan.FromMilliseconds(10);

    private readonly TimeProvider _time;
    private readonly DevCatalog _catalog;
    private readonly ILogger _logger;
    private ActiveFaults _active = ActiveFaults.None;
    private long _delayed;
    private long _errors;
    private long _dropped;
    private long _truncated;
    private long _garbage;
    private long _wrongTypes;
    private long _oversized;
    private long _downAborts;
    private long _lateAnswers;
    private long _strippedIndexes;
    private long _staleReads;

    internal FaultKnobs(TimeProvider time, DevCatalog catalog, ILogger logger)
    {
        _time = time;
        _catalog = catalog;
        _logger = logger;
    }

    /// <summary>Aborts open connections except the one given; wired by the server.</summary>
    internal Action<string?>? AbortConnections { get; set; }

    /// <summary>What is wrong with a datacenter named unreachable (unknown, or the agent's own), or null; wired by the server.</summary>
    internal Func<string, string?>? DatacenterProblem { get; set; }

    /// <summary>Told the unreachable datacenters before and after each change; wired by the server.</summary>
    internal Action<IReadOnlySet<string>, IReadOnlySet<string>>? UnreachableChanged { get; set; }

    /// <summary>The faults in force, with counts showing what is left.</summary>
    public FaultSettings Current
    {
        get
        {
            var active = Volatile.Read(ref _active);
            var settings = active.Settings;
            return settings with
            {
                Error = settings.Error is { } error && Live(active.ErrorsLeft) ? error with { Count = CountOf(active.ErrorsLeft) } : null,
                Body = settings.Body is { } body && Live(active.BodiesLeft) ? body with { Count = CountOf(active.BodiesLeft) } : null,
                Down = IsDown ? settings.Down : null,
            };
        }
    }

    /// <summary>How often each fault has been applied.</summary>
    public FaultCounters Counters => new()
    {
        DelayedRequests = Interlocked.Read(ref _delayed),
        ErrorResponses = Interlocked.Read(ref _errors),
        DroppedMidBody = Interlocked.Read(ref _dropped),
        TruncatedBodies = Interlocked.Read(ref _truncated),
        GarbageBodies = Interlocked.Read(ref _garbage),
        WrongTypeBodies = Interlocked.Read(ref _wrongTypes),
        OversizedBodies = Interlocked.Read(ref _oversized),
        DownAborts = Interlocked.Read(ref _downAborts),
        LateAnswers = Interlocked.Read(ref _lateAnswers),
        StrippedIndexes = Interlocked.Read(ref _strippedIndexes),
        StaleReads = Interlocked.Read(ref _staleReads),
    };

    internal bool IsDown => Volatile.Read(ref _active).DownUntil is { } until && _time.GetUtcNow() < until;

    internal TimeSpan Latency => Volatile.Read(ref _active).Settings.Latency;

    /// <summary>Whether the datacenter's WAN link is down.</summary>
    internal bool IsUnreachable(string datacenter) => Volatile.Read(ref _active).Unreachable.Contains(datacenter);

    internal int? MaxConnsPerClient => Volatile.Read(ref _active).Settings.MaxConnsPerClient;

    /// <summary>Replaces the faults in force. A <see cref="DownFault"/> takes effect at once and aborts every open connection.</summary>
    /// <param name="settings">The new set.</param>
    public void Apply(FaultSettings settings) => Apply(settings, exceptConnectionId: null);

    /// <summary>Turns every fault off.</summary>
    public void Clear() => Apply(new FaultSettings());

    internal void Apply(FaultSettings settings, string? exceptConnectionId)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Validate(settings);
        foreach (var datacenter in settings.UnreachableDatacenters ?? [])
        {
            if (DatacenterProblem?.Invoke(datacenter) is { } problem)
            {
                throw new ArgumentException("FaultSettings.UnreachableDatacenters: " + problem);
            }
        }

        var downUntil = settings.Down is null
            ? (DateTimeOffset?)null
            : settings.Down.For is { } span ? _time.GetUtcNow() + span : DateTimeOffset.MaxValue;
        var active = new ActiveFaults(
            settings,
            settings.Error?.Count ?? Unlimited,
            settings.Body?.Count ?? Unlimited,
            downUntil,
            settings.StaleReads is { Freeze: true } ? _catalog.State : null);
        var before = Volatile.Read(ref _active).Unreachable;
        Volatile.Write(ref _active, active);
        if (!before.SetEquals(active.Unreachable))
        {
            UnreachableChanged?.Invoke(before, active.Unreachable);
        }

        Log.FaultsApplied(_logger, Describe(settings));
        if (downUntil is not null)
        {
            AbortConnections?.Invoke(exceptConnectionId);
        }
    }

    internal ErrorFault? TakeError(string path)
    {
        var active = Volatile.Read(ref _active);
        if (active.Settings.Error is not { } fault || !Matches(fault.PathPrefix, path) || !Take(ref active.ErrorsLeft))
        {
            return null;
        }

        Interlocked.Increment(ref _errors);
        return fault;
    }

    internal BodyFault? TakeBody(string path)
    {
        var active = Volatile.Read(ref _active);
        if (active.Settings.Body is not { } fault || !Matches(fault.PathPrefix, path) || !Take(ref active.BodiesLeft))
        {
            return null;
        }

        Interlocked.Increment(ref CounterFor(fault.Kind));
        return fault;
    }

    /// <summary>When a late-answer fault is on: how long before the deadline to answer, and whether the deadline includes the jitter.</summary>
    internal (TimeSpan Epsilon, bool IncludeJitter)? LateAnswer =>
        Volatile.Read(ref _active).Settings.LateAnswer is { } late ? (late.Epsilon ?? DefaultEpsilon, late.IncludeJitter) : null;

    /// <summary>Whether answers to <paramref name="path"/> lose their <c>X-Consul-Index</c>.</summary>
    internal bool StripsIndex(string path) =>
        Volatile.Read(ref _active).Settings.StripIndex is { } strip && Matches(strip.PathPrefix, path);

    /// <summary>How a stale read is answered now; null when no stale-read fault is in force.</summary>
    internal StaleReadPlan? StaleReads
    {
        get
        {
            var active = Volatile.Read(ref _active);
            return active.Settings.StaleReads is { } stale
                ? new StaleReadPlan(stale.KnownLeader, stale.LastContact ?? TimeSpan.Zero, active.Frozen, stale.LagWrites ?? 0)
                : null;
        }
    }

    internal void CountStrippedIndex() => Interlocked.Increment(ref _strippedIndexes);

    internal void CountStaleRead() => Interlocked.Increment(ref _staleReads);

    internal void CountDelayed() => Interlocked.Increment(ref _delayed);

    internal void CountDownAbort() => Interlocked.Increment(ref _downAborts);

    internal void CountLateAnswer() => Interlocked.Increment(ref _lateAnswers);

    private static bool Matches(string? prefix, string path) =>
        string.IsNullOrEmpty(prefix) || path.StartsWith(prefix, StringComparison.Ordinal);

    // Never goes below zero, so a spent count cannot be mistaken for Unlimited.
    private static bool Take(ref int left)
    {
        while (true)
        {
            var current = Volatile.Read(ref left);
            if (current == Unlimited)
            {
                return true;
            }

            if (current <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref left, current - 1, current) == current)
            {
                return true;
            }
        }
    }

    private static bool Live(int left) => left == Unlimited || left > 0;

    private static int? CountOf(int left) => left == Unlimited ? null : Math.Max(left, 0);

    private ref long CounterFor(BodyFaultKind kind)
    {
        switch (kind)
        {
            case BodyFaultKind.DropMidBody:
                return ref _dropped;
            case BodyFaultKind.Truncated:
                return ref _truncated;
            case BodyFaultKind.Garbage:
                return ref _garbage;
            case BodyFaultKind.WrongTypes:
                return ref _wrongTypes;
            default:
                return ref _oversized;
        }
    }

    private static void Validate(FaultSettings settings)
    {
        if (settings.Latency < TimeSpan.Zero)
        {
            throw new ArgumentException("FaultSettings.Latency must not be negative.");
        }

        if (settings.Error is { Kind: ErrorFaultKind.Custom, StatusCode: null or < 100 or > 599 })
        {
            throw new ArgumentException("ErrorFault.StatusCode must be an HTTP status (100-599) for the Custom kind.");
        }

        if (settings.Error?.Count < 0 || settings.Body?.Count < 0)
        {
            throw new ArgumentException("Fault counts must not be negative.");
        }

        if (settings.Body?.SizeBytes < 0 || settings.MaxConnsPerClient < 0)
        {
            throw new ArgumentException("Body.SizeBytes and MaxConnsPerClient must not be negative.");
        }

        if (settings.Error?.RetryAfter < 0)
        {
            throw new ArgumentException($"Error.RetryAfter is a number of seconds and must not be negative, got {settings.Error.RetryAfter}.");
        }

        if (settings.StaleReads is { } stale)
        {
            if (stale.LastContact < TimeSpan.Zero)
            {
                throw new ArgumentException("StaleReads.LastContact must not be negative.");
            }

            if (stale.LagWrites is < 1 or > DevCatalog.HistoryDepth)
            {
                throw new ArgumentException($"StaleReads.LagWrites must be between 1 and {DevCatalog.HistoryDepth}, got {stale.LagWrites}.");
            }

            if (stale.LagWrites is not null && stale.Freeze)
            {
                throw new ArgumentException("StaleReads takes LagWrites or Freeze, not both.");
            }
        }
    }

    private static string Describe(FaultSettings s)
    {
        var parts = new List<string>();
        if (s.Latency > TimeSpan.Zero)
        {
            parts.Add("latency");
        }

        if (s.Error is not null)
        {
            parts.Add("error:" + s.Error.Kind);
        }

        if (s.Body is not null)
        {
            parts.Add("body:" + s.Body.Kind);
        }

        if (s.Down is not null)
        {
            parts.Add("down");
        }

        if (s.LateAnswer is not null)
        {
            parts.Add("late-answer");
        }

        if (s.MaxConnsPerClient is not null)
        {
            parts.Add("max-conns-per-client");
        }

        if (s.StripIndex is not null)
        {
            parts.Add("strip-index");
        }

        if (s.StaleReads is not null)
        {
            parts.Add("stale-reads");
        }

        if (s.UnreachableDatacenters is { Count: > 0 } unreachable)
        {
            parts.Add("unreachable:" + string.Join('+', unreachable));
        }

        return parts.Count == 0 ? "none" : string.Join(',', parts);
    }

    private sealed class ActiveFaults(FaultSettings settings, int errorsLeft, int bodiesLeft, DateTimeOffset? downUntil, CatalogState? frozen)
    {
        public static ActiveFaults None { get; } = new(new FaultSettings(), Unlimited, Unlimited, null, null);

        public FaultSettings Settings { get; } = settings;

        public DateTimeOffset? DownUntil { get; } = downUntil;

        /// <summary>The catalog as it was when a freezing stale-read fault was applied.</summary>
        public CatalogState? Frozen { get; } = frozen;

        /// <summary>Datacenters whose WAN link is down.</summary>
        public IReadOnlySet<string> Unreachable { get; } = (settings.UnreachableDatacenters ?? []).ToHashSet(StringComparer.Ordinal);

        // Fields, not properties: the "next N" counts are decremented in place with Interlocked.
        public int ErrorsLeft = errorsLeft;

        public int BodiesLeft = bodiesLeft;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Faults in force: {Faults}")]
        public static partial void FaultsApplied(ILogger logger, string faults);
    }
}
