namespace Bridge.LoadTest.Scenarios;

/// <summary>How a phase picks the service each change goes to.</summary>
internal enum ServicePick
{
    /// <summary>Uniformly at random over every service.</summary>
    Random,

    /// <summary>Always the hot service, which every stream subscribes to.</summary>
    Hot,
}

/// <summary>One stretch of churn within a run, measured on its own.</summary>
/// <param name="Name">Shown in the report.</param>
/// <param name="Changes">How many changes.</param>
/// <param name="PerSecond">Their rate.</param>
/// <param name="Pick">Which services they go to.</param>
/// <param name="Mix">Which kinds of change.</param>
/// <param name="ChangeFeed">Also hold a blocking query on <c>/v1/health/state/any</c> meanwhile, to price a change feed.</param>
internal sealed record PhaseSettings(string Name, int Changes, double PerSecond, ServicePick Pick, ChangeMix Mix, bool ChangeFeed = false);

/// <summary>Everything one run does: the catalog, the fleet of streams, the phases of churn, the bridge's settings.</summary>
internal sealed record RunSettings
{
    public required string Name { get; init; }

    public int Services { get; init; } = 50;

    public int InstancesPerService { get; init; } = 3;

    /// <summary>Nodes the instances are spread over; 0 for about 50 instances a node.</summary>
    public int Nodes { get; init; }

    /// <summary>Streams that see every service (Envoy-like wildcard CDS).</summary>
    public int WildcardStreams { get; init; }

    /// <summary>Streams whose node declares <see cref="ScopeSize"/> services in <c>bridge.services</c>.</summary>
    public int ScopedStreams { get; init; }

    public int ScopeSize { get; init; } = 50;

    /// <summary>The run's catalog: <see cref="Services"/> x <see cref="InstancesPerService"/> on <see cref="Nodes"/> nodes.</summary>
    public SyntheticCatalog Catalog() =>
        new(Services, InstancesPerService, Nodes > 0 ? Nodes : SyntheticCatalog.DefaultNodes(Services, InstancesPerService), ReservedServices);

    /// <summary>
    /// How many different service lists the scoped streams declare; 0 for one per service. Replicas of one service
    /// call the same services, so a fleet has about as many distinct lists as services, however many proxies it has.
    /// </summary>
    public int DistinctScopes { get; init; }

    /// <summary>Share of streams on delta ADS; the rest are state of the world.</summary>
    public double DeltaShare { get; init; } = 0.5;

    /// <summary>Whether every scoped stream's services include the hot service (service 0).</summary>
    public bool ScopeIncludesHot { get; init; }

    public IReadOnlyList<PhaseSettings> Phases { get; init; } = [];

    /// <summary>Serve the dev agent over HTTPS (HTTP/2 by ALPN) and point the bridge at it with its CA.</summary>
    public bool Https { get; init; }

    /// <summary>The dev agent's <c>http_max_conns_per_client</c>.</summary>
    public int MaxConnsPerClient { get; init; } = 200;

    /// <summary>
    /// ADS streams sharing one HTTP/2 connection. Real proxies each hold their own connection (one ADS stream), so
    /// the default is 1; more lets one connection's writer and flow-control window carry several proxies.
    /// </summary>
    public int StreamsPerConnection { get; init; } = 1;

    public int WaveSize { get; init; } = 250;

    public TimeSpan SyncTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>How long, after a phase's last change, the streams may take to receive everything they are owed.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait after the fleet synced, before memory is read and churn starts.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>No instance is changed twice within this time while another of its service is free.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the bridge is started from cold against the seeded agent, without streams (cold-start runs).</summary>
    public int ColdStarts { get; init; }

    /// <summary>
    /// Measure the floor of cold start: the harness reads the whole catalog itself, with the bridge's default number
    /// of queries in flight for the protocol (128 over HTTP/1.1, 5,000 over HTTP/2).
    /// </summary>
    public bool CatalogReadFloor { get; init; }

    public IReadOnlyList<string> BridgeArguments { get; init; } = [];

    public IReadOnlyDictionary<string, string> BridgeEnvironment { get; init; } = new Dictionary<string, string>();

    public int Seed { get; init; } = 1;

    /// <summary>How long to wait for other processes to leave the machine quiet before starting; zero to start at once.</summary>
    public TimeSpan QuietWait { get; init; } = TimeSpan.FromMinutes(10);

    public int TotalStreams => WildcardStreams + ScopedStreams;

    /// <summary>Service names kept unseeded for the new services that <see cref="ChangeMix.Everything"/> registers (one change in ten).</summary>
    public int ReservedServices => Phases.Where(p => p.Mix == ChangeMix.Everything).Sum(p => (p.Changes / 10) + 1);
}
