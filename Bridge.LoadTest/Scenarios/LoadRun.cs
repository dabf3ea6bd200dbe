using Bridge.DevAgent;
using Bridge.LoadTest.Bridge;
using Bridge.Testing.Hosting;

namespace Bridge.LoadTest.Scenarios;

/// <summary>Where a run finds the bridge and puts its files.</summary>
/// <param name="Daemon">Path of <c>consul-xds-bridge.dll</c>.</param>
/// <param name="OutputDirectory">Where logs and results go.</param>
/// <param name="ConsulTlsSupported">Whether this bridge has <c>Consul:CaFile</c> (and so HTTP/2 to Consul).</param>
internal sealed record RunEnvironment(string Daemon, string OutputDirectory, bool ConsulTlsSupported)
{
    /// <summary>The bridge found in the repository (or <paramref name="daemon"/>), output under <paramref name="outputDirectory"/>.</summary>
    public static RunEnvironment Locate(string outputDirectory, string? daemon = null)
    {
        daemon ??= Repository.Daemon;
        var settings = Path.Combine(Path.GetDirectoryName(daemon)!, "appsettings.json");
        var tls = File.Exists(settings) && File.ReadAllText(settings).Contains("\"CaFile\"", StringComparison.Ordinal);
        Directory.CreateDirectory(outputDirectory);
        return new RunEnvironment(daemon, outputDirectory, tls);
    }
}

/// <summary>
/// One run: a dev agent in this process (so change and receive timestamps share one clock) seeded with the synthetic
/// catalog; the bridge as a child process; a fleet of simulated proxies; then phases of churn, each measured for
/// propagation, the floor, throughput and the bridge's CPU, memory and GC.
/// </summary>
internal sealed class LoadRun
{
    private static readonly Func<Random, int> Hot = _ => 0;

    private readonly RunSettings _settings;
    private readonly RunEnvironment _environment;
    private readonly Action<string> _print;

    private LoadRun(RunSettings settings, RunEnvironment environment, Action<string> print)
    {
        _settings = settings;
        _environment = environment;
        _print = print;
    }

    public static Task<RunResult> ExecuteAsync(RunSettings settings, RunEnvironment environment, Action<string> print, CancellationToken ct) =>
        new LoadRun(settings, environment, print).RunAsync(ct);

    private async Task<RunResult> RunAsync(CancellationToken ct)
    {
        var s = _settings;
        var startedAt = DateTimeOffset.UtcNow;
        var https = s.Https && _environment.ConsulTlsSupported;
        string? note = s.Https && !https
            ? "This bridge has no Consul:CaFile yet, so it talked to the agent over plain HTTP/1.1 (MaxConcurrentQueries connections)."
            : null;
        if (note is not null)
        {
            _print("!! " + note);
        }

        var otherCores = 0.0;
        if (s.QuietWait > TimeSpan.Zero)
        {
            otherCores = await MachineQuiet.WaitAsync(s.QuietWait, 0.3, _print, ct).ConfigureAwait(false);
        }

        await using var timeline = new Timeline(_print);
        var catalog = s.Catalog();
        timeline.Stage($"seeding {catalog.Services} services x {catalog.InstancesPerService} instances on {catalog.Nodes} nodes");
        await using var agent = await DevAgentServer.StartAsync(new DevAgentOptions
        {
            Url = https ? "https://127.0.0.1:0" : "http://127.0.0.1:0",
            MaxConnsPerClient = s.MaxConnsPerClient,
        }, ct).ConfigureAwait(false);
        var seedClock = Stopwatch.StartNew();
        catalog.Seed(agent.Catalog, done => _print($"   seeded {done} instances"));
        var seedSeconds = seedClock.Elapsed.TotalSeconds;

        var coldStarts = new List<double>();
        for (var n = 0; n < s.ColdStarts; n++)
        {
            timeline.Stage($"cold start {n + 1} of {s.ColdStarts}");
            await using var cold = await StartBridgeAsync(agent, $"cold-{n + 1}");
            timeline.Watch(cold.Sampler);
            await cold.WaitReadyAsync(TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
            coldStarts.Add(cold.StartToReady.TotalSeconds);
            _print(string.Create(CultureInfo.InvariantCulture, $"   ready after {cold.StartToReady.TotalSeconds:0.000} s"));
            timeline.Watch(null);
        }

        double? catalogFloor = null;
        if (s.CatalogReadFloor)
        {
            timeline.Stage("floor: the harness reads the whole catalog");
            var elapsed = await CatalogReadFloor.MeasureAsync(
                agent.Address, agent.CaCertificate, Enumerable.Range(0, catalog.Services).Select(catalog.ServiceName), https ? 5000 : 128, ct).ConfigureAwait(false);
            catalogFloor = elapsed.TotalSeconds;
            _print(string.Create(CultureInfo.InvariantCulture, $"   read in {catalogFloor:0.000} s"));
        }

        var result = new RunResult
        {
            Name = s.Name,
            StartedAt = startedAt,
            Shape = new RunShape(s.Services, s.InstancesPerService, catalog.Nodes, s.WildcardStreams, s.ScopedStreams, s.ScopeSize,
                Math.Min(s.ScopedStreams, s.DistinctScopes > 0 ? s.DistinctScopes : s.Services), s.DeltaShare,
                s.ScopeIncludesHot, s.BridgeArguments, s.BridgeEnvironment),
            ConsulProtocol = https ? "https (h2)" : "http/1.1",
            Note = note,
            Daemon = _environment.Daemon,
            HarnessGc = $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, gen0size={Environment.GetEnvironmentVariable("DOTNET_GCgen0size") ?? "default"}, LOHThreshold={Environment.GetEnvironmentVariable("DOTNET_GCLOHThreshold") ?? "default"}",
            OtherCoresAtStart = otherCores,
            SeedSeconds = seedSeconds,
            CatalogReadFloorSeconds = catalogFloor,
            Agent = AgentTotals(agent),
        };
        if (s.TotalStreams == 0 && s.Phases.Count == 0)
        {
            return result with { ColdStartSeconds = coldStarts, Timeline = timeline.Points };
        }

        timeline.Stage("starting the bridge");
        await using var bridge = await StartBridgeAsync(agent, "bridge");
        timeline.Watch(bridge.Sampler);
        await bridge.WaitReadyAsync(TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
        coldStarts.Add(bridge.StartToReady.TotalSeconds);
        _print(string.Create(CultureInfo.InvariantCulture, $"   ready after {bridge.StartToReady.TotalSeconds:0.000} s (pid {bridge.Pid})"));

        timeline.Stage("settling before streams");
        await Task.Delay(s.Settle, ct).ConfigureAwait(false);
        var rssBefore = bridge.Sampler.Sample().RssBytes;

        var log = new ChangeLog(catalog.TotalServices, catalog.InitialPort);
        var propagation = new Propagation(catalog, log);
        await using var fleet = new ProxyFleet(bridge.AdsPort, s.StreamsPerConnection, catalog, propagation);
        timeline.WatchFleet(() => (fleet.Proxies.Count, fleet.Counters().Responses));
        var shapes = FleetPlan.Shapes(s);
        var subscribers = FleetPlan.Subscribers(shapes, catalog.TotalServices);
        timeline.Stage($"opening {shapes.Count} streams ({s.WildcardStreams} wildcard, {s.ScopedStreams} scoped to {s.ScopeSize})");
        var syncClock = Stopwatch.StartNew();
        await fleet.OpenAsync(shapes, s.WaveSize, s.SyncTimeout, opened => _print($"   {opened} streams synced"), ct).ConfigureAwait(false);
        var syncSeconds = syncClock.Elapsed.TotalSeconds;

        timeline.Stage("settling after streams");
        await Task.Delay(s.Settle, ct).ConfigureAwait(false);
        var rssAfter = bridge.Sampler.Sample().RssBytes;

        using var floor = new FloorProbe(agent.Address, agent.CaCertificate);
        var churn = new Churn(catalog, agent.Catalog, log, floor, s.Cooldown, s.Seed);
        var phases = new List<PhaseResult>();
        foreach (var phase in s.Phases)
        {
            phases.Add(await RunPhaseAsync(phase, timeline, agent, bridge, fleet, propagation, churn, floor, subscribers, catalog.Services, ct).ConfigureAwait(false));
        }

        var final = bridge.Sampler.Sample();
        var metrics = await bridge.ScrapeAsync(ct).ConfigureAwait(false);
        return result with
        {
            ColdStartSeconds = coldStarts,
            FleetSyncSeconds = syncSeconds,
            StreamsOpened = fleet.Proxies.Count,
            StreamsEnded = fleet.Ended,
            RssBeforeStreamsBytes = rssBefore,
            RssAfterStreamsBytes = rssAfter,
            RssGrowthPerStreamBytes = shapes.Count > 0 ? (rssAfter - rssBefore) / (double)shapes.Count : null,
            PeakRssBytes = final.PeakRssBytes,
            BridgeGcPauseSeconds = metrics[BridgeMetricNames.GcPause],
            Agent = AgentTotals(agent),
            Phases = phases,
            Timeline = timeline.Points,
        };
    }

    private async Task<PhaseResult> RunPhaseAsync(
        PhaseSettings phase,
        Timeline timeline,
        DevAgentServer agent,
        LoadedBridge bridge,
        ProxyFleet fleet,
        Propagation propagation,
        Churn churn,
        FloorProbe floor,
        int[] subscribers,
        int seededServices,
        CancellationToken ct)
    {
        var sink = new LatencySink();
        propagation.Sink = sink;
        var firstSeq = propagation.Log.Total;
        var made = 0;
        timeline.Stage(string.Create(CultureInfo.InvariantCulture, $"{phase.Name}: {phase.Changes} changes at {phase.PerSecond:0.##}/s"),
            () => $"{Volatile.Read(ref made)}/{phase.Changes} changes, {sink.Count} deliveries");

        var countersBefore = fleet.Counters();
        var bridgeBefore = bridge.Sampler.Sample();
        var harnessBefore = ProcessSampler.Self.Sample();
        var machineBefore = MachineSample.Take();
        var harnessGcBefore = GC.GetTotalPauseDuration();
        var metricsBefore = await bridge.ScrapeAsync(ct).ConfigureAwait(false);
        var agentBefore = agent.GetStatistics();
        var floorBefore = floor.Armed;
        var floorBytesBefore = floor.Bytes;
        var violationsBefore = churn.CooldownViolations;
        var newServicesBefore = churn.NewServices;

        await using var feed = phase.ChangeFeed ? new ChangeFeedProbe(agent.Address) : null;
        var pick = phase.Pick == ServicePick.Hot ? Hot : (Func<Random, int>)(r => r.Next(seededServices));
        var churnTime = await churn.RunAsync(phase.Changes, phase.PerSecond, phase.Mix, pick, n => Volatile.Write(ref made, n), ct).ConfigureAwait(false);
        var (feedRequests, feedBytes) = feed is null ? (0L, 0L) : (feed.Requests, feed.Bytes);

        var countersAfter = fleet.Counters();
        var bridgeAfter = bridge.Sampler.Sample();
        var harnessAfter = ProcessSampler.Self.Sample();
        var machineAfter = MachineSample.Take();
        var harnessGc = GC.GetTotalPauseDuration() - harnessGcBefore;
        var metricsAfter = await bridge.ScrapeAsync(ct).ConfigureAwait(false);
        var agentAfter = agent.GetStatistics();
        var floorRequests = floor.Armed - floorBefore;
        var floorBytes = floor.Bytes - floorBytesBefore;

        timeline.Stage($"{phase.Name}: draining", () => $"{sink.Count} deliveries");
        var drainClock = Stopwatch.StartNew();
        while (fleet.Outstanding(propagation.Log, firstSeq).Owed > 0 && drainClock.Elapsed < _settings.DrainTimeout)
        {
            await Task.Delay(250, ct).ConfigureAwait(false);
        }

        var drainSeconds = drainClock.Elapsed.TotalSeconds;
        var (outstanding, superseded, examples) = fleet.Outstanding(propagation.Log, firstSeq, maxExamples: 10);
        foreach (var example in examples)
        {
            _print("   never received: " + example);
        }
        var deliveries = sink.Snapshot();
        var (floorSamples, floorDiscarded) = floor.Collect();
        long expected = 0;
        for (var seq = firstSeq; seq < propagation.Log.Total; seq++)
        {
            expected += subscribers[propagation.Log.ServiceOfSeq(seq)];
        }

        var stats = LatencyStats.Of(deliveries.Select(d => (double)d.Milliseconds));
        var byKind = deliveries.GroupBy(d => propagation.Log.BySeq(d.Seq).Kind)
            .OrderBy(g => g.Key)
            .ToDictionary(g => g.Key.ToString(), g => LatencyStats.Of(g.Select(d => (double)d.Milliseconds)));
        var changesByKind = Enumerable.Range(firstSeq, propagation.Log.Total - firstSeq)
            .GroupBy(seq => propagation.Log.BySeq(seq).Kind)
            .OrderBy(g => g.Key)
            .ToDictionary(g => g.Key.ToString(), g => g.Count());
        var lastStream = LatencyStats.Of(deliveries.GroupBy(d => d.Seq).Select(g => (double)g.Max(d => d.Milliseconds)));
        var floorStats = LatencyStats.Of(floorSamples);
        var window = countersAfter.Minus(countersBefore);
        var seconds = countersAfter.Seconds(countersBefore);
        var consul = ConsulCost.Between(agentBefore, agentAfter, seconds, floorRequests, floorBytes, feedRequests, feedBytes);
        var gcPause = metricsAfter[BridgeMetricNames.GcPause] - metricsBefore[BridgeMetricNames.GcPause];
        var serverResponses = metricsAfter[BridgeMetricNames.Responses] - metricsBefore[BridgeMetricNames.Responses];
        var workItems = metricsAfter[BridgeMetricNames.WorkItems] - metricsBefore[BridgeMetricNames.WorkItems];
        var bridgeCores = bridgeAfter.CoresSince(bridgeBefore);
        var result = new PhaseResult
        {
            Name = phase.Name,
            Changes = phase.Changes,
            TargetPerSecond = phase.PerSecond,
            AchievedPerSecond = phase.Changes / churnTime.TotalSeconds,
            ChurnSeconds = churnTime.TotalSeconds,
            ExpectedDeliveries = expected,
            Deliveries = deliveries.Count,
            Outstanding = outstanding,
            Superseded = superseded,
            DrainSeconds = drainSeconds,
            Propagation = stats,
            LastStream = lastStream,
            Floor = floorStats,
            FloorDiscarded = floorDiscarded,
            RatioToFloorP99 = floorStats.Count > 0 && stats.Count > 0 ? stats.P99 / floorStats.P99 : null,
            ResponsesPerSecond = window.Responses / seconds,
            BytesPerSecond = window.Bytes / seconds,
            AssignmentsPerSecond = window.Assignments / seconds,
            BridgeCores = bridgeCores,
            BridgeMicrosecondsPerResponse = serverResponses > 0 ? bridgeCores * seconds * 1e6 / serverResponses : null,
            WorkItemsPerResponse = serverResponses > 0 && !double.IsNaN(workItems) ? workItems / serverResponses : null,
            HarnessCores = harnessAfter.CoresSince(harnessBefore),
            OtherCores = Math.Max(0, machineAfter.CoresSince(machineBefore) - bridgeAfter.CoresSince(bridgeBefore) - harnessAfter.CoresSince(harnessBefore)),
            HarnessGcPauseSeconds = harnessGc.TotalSeconds,
            BridgeGcPauseSeconds = gcPause,
            BridgeGcPauseShare = gcPause / seconds,
            BridgeRssEndBytes = bridgeAfter.RssBytes,
            ConsulRequestsPerSecond = consul.RequestsPerSecond,
            Consul = consul,
            ChangesByKind = changesByKind,
            PropagationByKind = byKind,
            NewServices = churn.NewServices - newServicesBefore,
            TooManyRequests = agentAfter.TooManyRequestsResponses - agentBefore.TooManyRequestsResponses,
            BridgeReportedResponsesPerSecond = double.IsNaN(serverResponses) ? null : serverResponses / seconds,
            CooldownViolations = churn.CooldownViolations - violationsBefore,
        };
        _print(Summary.Phase(result));
        return result;
    }

    private Task<LoadedBridge> StartBridgeAsync(DevAgentServer agent, string label) => LoadedBridge.StartAsync(
        _environment.Daemon,
        agent.Address,
        agent.CaFile,
        _settings.BridgeArguments,
        _settings.BridgeEnvironment,
        Path.Combine(_environment.OutputDirectory, $"{_settings.Name}-{label}.log"));

    private static AgentTotals AgentTotals(DevAgentServer agent)
    {
        var stats = agent.GetStatistics();
        return new AgentTotals(
            stats.RequestsByKind.Values.Sum(),
            stats.PeakConnectionsPerIp,
            stats.PeakConnections,
            stats.ConnectionsPerIp.Where(p => !LoopbackSources.IsHarness(p.Key)).Sum(p => p.Value),
            stats.ConnectionLimitRejections,
            stats.TooManyRequestsResponses);
    }
}

/// <summary>The bridge's metric names as its admin endpoint exports them.</summary>
internal static class BridgeMetricNames
{
    public const string GcPause = "bridge_gc_pause_seconds_total";
    public const string Responses = "bridge_xds_responses_total";
    public const string WorkItems = "bridge_threadpool_work_items_total";
}
