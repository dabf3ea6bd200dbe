namespace Bridge.LoadTest.Scenarios;

/// <summary>The named scenarios of the "Fast at fleet scale" targets, each with its target values.</summary>
internal static class Presets
{
    public static IReadOnlyList<string> Names { get; } = ["smoke", "A", "B", "C", "BC", "idle", "cold", "sweep", "fresh-1k", "fresh-5k", "consul-cost"];

    /// <summary>Catalog sizes whose Consul answers <c>consul-cost</c> weighs: the fresh scenarios' and B's 260,000 instances.</summary>
    public static IReadOnlyList<(int Services, int Instances)> CostSizes { get; } = [(1000, 3), (5000, 3), (4000, 65)];

    /// <summary>Stream counts of the sweep, for the p99-against-streams plot.</summary>
    public static IReadOnlyList<int> SweepStreams { get; } = [100, 500, 1000, 2000, 5000];

    /// <summary>
    /// CI: small enough for about a minute, big enough to exercise every path (both protocols, scoping, every kind of
    /// change, new services) and, over plain HTTP, more services than one source address has query slots for (180 of
    /// Consul's default 200 connections per client address).
    /// </summary>
    public static RunSettings Smoke => new()
    {
        Name = "smoke",
        QuietWait = TimeSpan.Zero,
        Services = 300,
        InstancesPerService = 3,
        WildcardStreams = 25,
        ScopedStreams = 25,
        ScopeSize = 10,
        WaveSize = 50,
        Settle = TimeSpan.FromMilliseconds(500),
        SyncTimeout = TimeSpan.FromSeconds(60),
        Cooldown = TimeSpan.FromSeconds(2),
        Phases = [new PhaseSettings("churn", 20, 20, ServicePick.Random, ChangeMix.Everything)],
    };

    /// <summary>
    /// Freshness over plain HTTP against an agent with Consul's defaults (200 connections per client address): 1,000
    /// services x 3, every kind of change to random services and new services during the run, 20 wildcard streams.
    /// Target: every change at the proxies within 1 s at p99, no 429. Then a short phase pricing a change feed.
    /// </summary>
    public static RunSettings Fresh1k => new()
    {
        Name = "fresh-1k",
        Services = 1000,
        InstancesPerService = 3,
        WildcardStreams = 20,
        WaveSize = 20,
        Phases = FreshPhases,
    };

    /// <summary>As <see cref="Fresh1k"/> with 5,000 services.</summary>
    public static RunSettings Fresh5k => Fresh1k with { Name = "fresh-5k", Services = 5000 };

    /// <summary>A: 1,000 services x 10 instances, 1,000 wildcard streams, 10 changes/s. Target p99 ≤ 20 ms.</summary>
    public static RunSettings A => new()
    {
        Name = "A",
        Services = 1000,
        InstancesPerService = 10,
        WildcardStreams = 1000,
        Https = true,
        Phases = [new PhaseSettings("churn", 600, 10, ServicePick.Random, ChangeMix.Mixed)],
    };

    /// <summary>
    /// B: 4,000 services x 65 instances (260,000 endpoints), 5,000 streams scoped to 50 services and 200 wildcard ones,
    /// 50 changes/s. Targets p99 ≤ 100 ms, peak RSS ≤ 2 GB, no 429 from the agent.
    /// </summary>
    public static RunSettings B => new()
    {
        Name = "B",
        Services = 4000,
        InstancesPerService = 65,
        WildcardStreams = 200,
        ScopedStreams = 5000,
        ScopeSize = 50,
        Https = true,
        SyncTimeout = TimeSpan.FromMinutes(10),
        Settle = TimeSpan.FromSeconds(10),
        Phases = [new PhaseSettings("churn", 3000, 50, ServicePick.Random, ChangeMix.Mixed)],
    };

    /// <summary>
    /// C: the B catalog, 5,000 streams all subscribed to one hot service. Single changes to it: every stream has it,
    /// p99 ≤ 250 ms. Then changes to it back to back: at least 20,000 proxy updates/s sustained.
    /// </summary>
    public static RunSettings C => B with
    {
        Name = "C",
        WildcardStreams = 0,
        ScopedStreams = 5000,
        ScopeIncludesHot = true,
        Phases = HotPhases,
    };

    /// <summary>B and C in one run (B's fleet, every scoped stream also calling the hot service): one seeding, one sync.</summary>
    public static RunSettings BC => B with
    {
        Name = "BC",
        ScopeIncludesHot = true,
        Phases = [.. B.Phases, .. HotPhases],
    };

    /// <summary>Idle: 10,000 streams scoped to 50 services over the A catalog. Target ≤ 50 KB of bridge RSS per stream.</summary>
    public static RunSettings Idle => new()
    {
        Name = "idle",
        Services = 1000,
        InstancesPerService = 10,
        ScopedStreams = 10_000,
        ScopeSize = 50,
        Https = true,
        WaveSize = 500,
        Settle = TimeSpan.FromSeconds(15),
    };

    /// <summary>Cold start with the B catalog (4,000 services): process start to ready ≤ 10 s, three times.</summary>
    public static RunSettings Cold => new()
    {
        Name = "cold",
        Services = 4000,
        InstancesPerService = 65,
        Https = true,
        ColdStarts = 3,
        CatalogReadFloor = true,
    };

    /// <summary>One point of the sweep: the A catalog and churn with <paramref name="streams"/> wildcard streams.</summary>
    public static RunSettings SweepPoint(int streams) => A with
    {
        Name = $"sweep-{streams}",
        WildcardStreams = streams,
        Phases = [new PhaseSettings("churn", 300, 10, ServicePick.Random, ChangeMix.Mixed)],
    };

    public static RunSettings? Find(string name) => name.ToLowerInvariant() switch
    {
        "smoke" => Smoke,
        "a" => A,
        "b" => B,
        "c" => C,
        "bc" => BC,
        "idle" => Idle,
        "cold" => Cold,
        "fresh-1k" => Fresh1k,
        "fresh-5k" => Fresh5k,
        _ => null,
    };

    private static IReadOnlyList<PhaseSettings> FreshPhases =>
    [
        new PhaseSettings("fresh", 600, 10, ServicePick.Random, ChangeMix.Everything),
        new PhaseSettings("feed-priced", 100, 10, ServicePick.Random, ChangeMix.Everything, ChangeFeed: true),
    ];

    private static IReadOnlyList<PhaseSettings> HotPhases =>
    [
        new PhaseSettings("hot-single", 5, 0.5, ServicePick.Hot, ChangeMix.Ports),
        new PhaseSettings("hot-sustained", 300, 20, ServicePick.Hot, ChangeMix.Ports),
    ];
}
