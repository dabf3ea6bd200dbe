using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Faults;

namespace Bridge.DevAgent.Datacenters;

/// <summary>
/// The datacenters one agent serves, as a WAN federation of Consul clusters looks to an agent in the first of them:
/// <list type="bullet">
/// <item>Each datacenter has its own catalog, Raft indexes, change signals and config entries, and its own server node
/// (the local one is the agent's node; another datacenter's is named <c>&lt;node&gt;-&lt;dc&gt;</c>).</item>
/// <item>Reads with <c>?dc=</c> and catalog writes whose body names a <c>Datacenter</c> go to that datacenter (Consul's
/// <c>ForwardRPC</c>); an unknown one is 500 <c>No path to datacenter</c>, an unreachable one (the
/// <see cref="FaultSettings.UnreachableDatacenters"/> fault) 500 <c>Remote DC has no server currently reachable</c>
/// (agent/consul/rpc.go <c>forwardDC</c>), and a blocking query already parked there ends with 500
/// <c>rpc error making call: EOF</c>, as when the connection to the remote server breaks.</item>
/// <item>Config entry writes go to the primary datacenter, whichever datacenter they are sent to, and are replicated
/// into every reachable secondary (leader_config_replication.go); a secondary that comes back catches up.</item>
/// <item><c>/v1/catalog/datacenters</c> lists them nearest first: the local one, then the others in the order given,
/// unreachable ones included (Consul skips only servers that left).</item>
/// </list>
/// </summary>
internal sealed partial class Federation
{
    public const string UnreachableError = "Remote DC has no server currently reachable";
    public const string BrokenConnectionError = "rpc error making call: EOF";

    private readonly Lock _gate = new();
    private readonly DevAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private ImmutableArray<DevCatalog> _datacenters = [];

    public Federation(DevAgentOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _options = options;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<Federation>();
        PrimaryName = options.PrimaryDatacenter ?? options.Datacenter;
        Local = Create(options.Datacenter);
        foreach (var name in options.ServedDatacenters.Skip(1))
        {
            Create(name);
        }
    }

    /// <summary>The agent's own datacenter.</summary>
    public DevCatalog Local { get; }

    /// <summary>Where config entries are written.</summary>
    public string PrimaryName { get; }

    /// <summary>The faults in force; set once the server has made them.</summary>
    public FaultKnobs? Faults { get; set; }

    /// <summary>Every datacenter, nearest first.</summary>
    public IReadOnlyList<DevCatalog> All => _datacenters;

    /// <summary>Names of every datacenter, nearest first.</summary>
    public IReadOnlyList<string> Names => [.. _datacenters.Select(d => d.Datacenter)];

    public DevCatalog? Find(string name) => _datacenters.FirstOrDefault(d => d.Datacenter == name);

    public bool IsReachable(string name) => Faults?.IsUnreachable(name) != true;

    /// <summary>Adds a datacenter (after the others in distance), or returns it if it exists; it receives the config entries at once.</summary>
    /// <exception cref="ArgumentException">The name is not a valid datacenter name.</exception>
    public DevCatalog Add(string name)
    {
        if (DevAgentOptions.DatacenterNameProblem(name) is { } problem)
        {
            throw new ArgumentException(problem);
        }

        DevCatalog added;
        lock (_gate)
        {
            if (Find(name) is { } existing)
            {
                return existing;
            }

            added = Create(name);
        }

        Log.Added(_logger, name);
        ReplicateConfigEntries();
        return added;
    }

    /// <summary>The datacenter a request names, as the server's forwarding finds it.</summary>
    /// <exception cref="DevAgentException">500: no such datacenter, or it is unreachable.</exception>
    public DevCatalog Route(string name)
    {
        var datacenter = Find(name) ?? throw new DevAgentException(500, ConsulErrors.NoPathToDatacenter);
        return IsReachable(name) ? datacenter : throw new DevAgentException(500, UnreachableError);
    }

    /// <summary>The primary datacenter, where config entry writes go.</summary>
    /// <exception cref="DevAgentException">500 when it is unreachable.</exception>
    public DevCatalog Primary() => Route(PrimaryName);

    /// <summary>For a query's later runs: the datacenter went away under it.</summary>
    /// <exception cref="DevAgentException">500 <see cref="BrokenConnectionError"/>.</exception>
    public void RequireStillReachable(DevCatalog datacenter)
    {
        if (!IsReachable(datacenter.Datacenter))
        {
            throw new DevAgentException(500, BrokenConnectionError);
        }
    }

    /// <summary>Copies the primary's config entries into every reachable secondary.</summary>
    public void ReplicateConfigEntries()
    {
        if (Find(PrimaryName) is not { } primary || !IsReachable(PrimaryName))
        {
            return;
        }

        foreach (var secondary in _datacenters.Where(d => d != primary && IsReachable(d.Datacenter)))
        {
            secondary.ReplicateConfigEntriesFrom(primary.State);
        }
    }

    /// <summary>
    /// Reacts to a change of the unreachable set: queries parked in a datacenter that became unreachable are released
    /// (and fail), and datacenters that came back catch up on config entries.
    /// </summary>
    public void OnUnreachableChanged(IReadOnlySet<string> before, IReadOnlySet<string> after)
    {
        foreach (var name in after.Except(before))
        {
            Log.Unreachable(_logger, name);
            Find(name)?.Signals.Abandon();
        }

        foreach (var name in before.Except(after))
        {
            Log.Reachable(_logger, name);
        }

        if (before.Except(after).Any())
        {
            ReplicateConfigEntries();
        }
    }

    /// <summary>Stops every datacenter's TTL timers.</summary>
    public void StopTimers()
    {
        foreach (var datacenter in _datacenters)
        {
            datacenter.StopTimers();
        }
    }

    // Another datacenter's server node: its own name, the agent's address.
    private DevCatalog Create(string name)
    {
        var options = name == _options.Datacenter
            ? _options
            : _options with { Datacenter = name, NodeName = $"{_options.NodeName}-{name}" };
        var catalog = new DevCatalog(options, _time, _loggerFactory.CreateLogger<DevCatalog>(), this);
        _datacenters = _datacenters.Add(catalog);
        return catalog;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Datacenter {Datacenter} added")]
        public static partial void Added(ILogger logger, string datacenter);

        [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Datacenter {Datacenter} is unreachable; its queries fail and its blocking queries are released")]
        public static partial void Unreachable(ILogger logger, string datacenter);

        [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Datacenter {Datacenter} is reachable again")]
        public static partial void Reachable(ILogger logger, string datacenter);
    }
}
