using System.Text.Json.Serialization;

namespace Bridge.LoadTest.Reporting;

/// <summary>What one run measured; written as JSON next to the human summary.</summary>
internal sealed record RunResult
{
    public required string Name { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required RunShape Shape { get; init; }

    /// <summary>How the bridge talked to the agent: <c>http/1.1</c> or <c>https (h2)</c>.</summary>
    public required string ConsulProtocol { get; init; }

    public string? Note { get; init; }

    /// <summary>The bridge build that ran.</summary>
    public string? Daemon { get; init; }

    /// <summary>The harness's GC settings (it shares the machine, and its pauses would delay receive timestamps).</summary>
    public string? HarnessGc { get; init; }

    /// <summary>Cores other processes used in the seconds before the run started (after waiting for quiet, if asked).</summary>
    public double OtherCoresAtStart { get; init; }

    public double SeedSeconds { get; init; }

    /// <summary>Bridge process start to <c>/readyz</c> ready, per start.</summary>
    public IReadOnlyList<double> ColdStartSeconds { get; init; } = [];

    /// <summary>The harness reading the whole catalog itself (same protocol, same concurrency as the bridge).</summary>
    public double? CatalogReadFloorSeconds { get; init; }

    public double FleetSyncSeconds { get; init; }

    public int StreamsOpened { get; init; }

    public int StreamsEnded { get; init; }

    public long RssBeforeStreamsBytes { get; init; }

    public long RssAfterStreamsBytes { get; init; }

    /// <summary>(RSS after the fleet synced and settled − RSS before it) / streams.</summary>
    public double? RssGrowthPerStreamBytes { get; init; }

    /// <summary>The bridge's <c>VmHWM</c> at the end of the run.</summary>
    public long PeakRssBytes { get; init; }

    public double BridgeGcPauseSeconds { get; init; }

    public required AgentTotals Agent { get; init; }

    public IReadOnlyList<PhaseResult> Phases { get; init; } = [];

    /// <summary>Samples of the bridge and the harness taken every second or so during the run.</summary>
    public IReadOnlyList<TimelinePoint> Timeline { get; init; } = [];
}

internal sealed record RunShape(
    int Services,
    int InstancesPerService,
    int Nodes,
    int WildcardStreams,
    int ScopedStreams,
    int ScopeSize,
    int DistinctScopes,
    double DeltaShare,
    bool ScopeIncludesHot,
    IReadOnlyList<string> BridgeArguments,
    IReadOnlyDictionary<string, string> BridgeEnvironment);

/// <summary>The dev agent's counters over the whole run.</summary>
/// <param name="BridgeConnectionsAtEnd">Connections open from every address but the harness's own probes.</param>
internal sealed record AgentTotals(
    long Requests,
    int PeakConnectionsPerIp,
    int PeakConnections,
    int BridgeConnectionsAtEnd,
    long ConnectionLimitRejections,
    long TooManyRequests);

internal sealed record PhaseResult
{
    public required string Name { get; init; }

    public int Changes { get; init; }

    public double TargetPerSecond { get; init; }

    public double AchievedPerSecond { get; init; }

    public double ChurnSeconds { get; init; }

    /// <summary>(change, stream) pairs owed: each change times the streams subscribed to its service.</summary>
    public long ExpectedDeliveries { get; init; }

    public long Deliveries { get; init; }

    /// <summary>Pairs still owed when the drain timed out (0 when every stream got every change).</summary>
    public long Outstanding { get; init; }

    /// <summary>
    /// Pairs not received because later changes undid them before the stream caught up (an instance went critical
    /// and passed again): the stream's state is already right, so nothing was owed.
    /// </summary>
    public long Superseded { get; init; }

    public double DrainSeconds { get; init; }

    /// <summary>Change to arrival on a stream, over every (change, stream) pair.</summary>
    public required LatencyStats Propagation { get; init; }

    /// <summary>Per change: until the last subscribed stream had it.</summary>
    public required LatencyStats LastStream { get; init; }

    /// <summary>Change to the return of the harness's own blocking query on the agent.</summary>
    public required LatencyStats Floor { get; init; }

    public int FloorDiscarded { get; init; }

    /// <summary>Bridge p99 / floor p99.</summary>
    public double? RatioToFloorP99 { get; init; }

    public double ResponsesPerSecond { get; init; }

    public double BytesPerSecond { get; init; }

    /// <summary>Assignments (EDS resources) received per second: proxy updates.</summary>
    public double AssignmentsPerSecond { get; init; }

    public double BridgeCores { get; init; }

    public double HarnessCores { get; init; }

    /// <summary>Cores other processes on the machine used meanwhile: the two cores were shared with them.</summary>
    public double OtherCores { get; init; }

    public double HarnessGcPauseSeconds { get; init; }

    public double BridgeGcPauseSeconds { get; init; }

    public double BridgeGcPauseShare { get; init; }

    public long BridgeRssEndBytes { get; init; }

    /// <summary>The bridge's requests to the agent per second (the floor probe's own are not counted).</summary>
    public double ConsulRequestsPerSecond { get; init; }

    /// <summary>What the bridge cost the agent over the phase (and, when probed, what a change feed would have).</summary>
    public ConsulCost? Consul { get; init; }

    /// <summary>Changes made, by kind.</summary>
    public IReadOnlyDictionary<string, int> ChangesByKind { get; init; } = new Dictionary<string, int>();

    /// <summary>Change to arrival on a stream, per kind of change.</summary>
    public IReadOnlyDictionary<string, LatencyStats> PropagationByKind { get; init; } = new Dictionary<string, LatencyStats>();

    /// <summary>Services that did not exist before the phase and were registered during it.</summary>
    public int NewServices { get; init; }

    public long TooManyRequests { get; init; }

    /// <summary>Server-side count from <c>bridge_xds_responses_total</c>, per second.</summary>
    public double? BridgeReportedResponsesPerSecond { get; init; }

    /// <summary>The bridge's CPU time over the phase divided by the responses it wrote: the figure least moved by a noisy machine.</summary>
    public double? BridgeMicrosecondsPerResponse { get; init; }

    /// <summary>Thread-pool work items the bridge ran over the phase, per response it wrote.</summary>
    public double? WorkItemsPerResponse { get; init; }

    public int CooldownViolations { get; init; }
}

/// <param name="OtherCores">Cores busy on the machine outside the bridge and the harness (other worktrees' builds and tests).</param>
/// <param name="HarnessGcPauseSeconds">The harness's own GC pause time so far.</param>
internal sealed record TimelinePoint(
    double Seconds,
    string Stage,
    double BridgeCores,
    double HarnessCores,
    double OtherCores,
    long BridgeRssBytes,
    long HarnessRssBytes,
    int Streams,
    long Responses,
    double HarnessGcPauseSeconds);

/// <summary>One point of the stream-count sweep.</summary>
internal sealed record SweepPoint(int Streams, LatencyStats Propagation, LatencyStats Floor, double BridgeCores, double HarnessCores, double ResponsesPerSecond, long PeakRssBytes);

internal sealed record SweepResult(string Name, string Description, IReadOnlyList<SweepPoint> Points);

/// <summary>Consul's answers at one catalog size, as the agent serialises them (JSON) and as they cross the wire (gzip).</summary>
/// <param name="Checks">Checks in the catalog: what <c>/v1/health/state/any</c> lists.</param>
/// <param name="StateAnyMilliseconds">Fastest of three reads of <c>/v1/health/state/any</c> (request to last byte, gzip).</param>
internal sealed record ConsulBodySizes(
    int Services,
    int InstancesPerService,
    int Instances,
    int Checks,
    long HealthServiceBytes,
    long HealthServiceGzipBytes,
    long ServiceListBytes,
    long ServiceListGzipBytes,
    long StateAnyBytes,
    long StateAnyGzipBytes,
    double StateAnyMilliseconds);

[JsonSourceGenerationOptions(WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(RunResult))]
[JsonSerializable(typeof(SweepResult))]
[JsonSerializable(typeof(List<RunResult>))]
[JsonSerializable(typeof(List<ConsulBodySizes>))]
internal sealed partial class LoadJsonContext : JsonSerializerContext;
