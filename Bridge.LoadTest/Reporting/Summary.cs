namespace Bridge.LoadTest.Reporting;

/// <summary>The human-readable report of runs.</summary>
internal static class Summary
{
    public static string Phase(PhaseResult p)
    {
        var text = new StringBuilder();
        Line(text, $"   {p.Name}: {p.Changes} changes at {p.AchievedPerSecond:0.#}/s (target {p.TargetPerSecond:0.#}/s) over {p.ChurnSeconds:0.0} s");
        Line(text, $"     propagation  {Stats(p.Propagation)}");
        Line(text, $"     last stream  {Stats(p.LastStream)}  (per change, until every subscribed stream had it)");
        Line(text, $"     floor        {Stats(p.Floor)}  ({p.FloorDiscarded} not usable)");
        Line(text, $"     p99 / floor p99 = {(p.RatioToFloorP99 is { } r ? r.ToString("0.0", CultureInfo.InvariantCulture) : "n/a")}");
        Line(text, $"     deliveries {p.Deliveries:N0} of {p.ExpectedDeliveries:N0} expected; {p.Outstanding:N0} outstanding after {p.DrainSeconds:0.0} s of drain"
            + (p.Superseded > 0 ? $", {p.Superseded:N0} superseded (undone before the stream caught up: nothing owed)" : ""));
        Line(text, $"     pushed {p.ResponsesPerSecond:N0} responses/s, {p.AssignmentsPerSecond:N0} assignments/s, {p.BytesPerSecond / 1048576:0.0} MiB/s"
            + (p.BridgeReportedResponsesPerSecond is { } server ? $" (bridge counts {server:N0} responses/s)" : ""));
        if (p.BridgeMicrosecondsPerResponse is { } cpu)
        {
            Line(text, $"     bridge CPU per response {cpu:0.0} us" + (p.WorkItemsPerResponse is { } items ? $", thread-pool work items per response {items:0.00}" : ""));
        }

        Line(text, $"     bridge {p.BridgeCores:0.00} cores, GC paused {p.BridgeGcPauseSeconds * 1000:0} ms ({p.BridgeGcPauseShare:P1}), RSS {Mib(p.BridgeRssEndBytes)}; harness {p.HarnessCores:0.00} cores (GC paused {p.HarnessGcPauseSeconds * 1000:0} ms); other processes {p.OtherCores:0.00} cores");
        if (p.ChangesByKind.Count > 1)
        {
            Line(text, $"     changes by kind: {string.Join(", ", p.ChangesByKind.Select(k => $"{k.Key} {k.Value}"))}" + (p.NewServices > 0 ? $" ({p.NewServices} new services)" : ""));
            foreach (var (kind, stats) in p.PropagationByKind)
            {
                Line(text, $"       {kind,-15} {Stats(stats)}");
            }
        }

        if (p.Consul is { } c)
        {
            Line(text, $"     Consul: {c.RequestsPerSecond:0.0} requests/s ({string.Join(", ", c.RequestsPerSecondByKind.Select(k => $"{k.Key} {k.Value:0.0}"))}), " +
                $"{c.BytesPerSecond / 1024:0.0} KiB/s of JSON, {c.Connections} connections from {c.Sources} source addresses " +
                $"(now at most {c.ConnectionsBySource.Values.DefaultIfEmpty(0).Max()} per address, peak {c.PeakConnectionsPerSource}), 429s {c.TooManyRequests}");
            if (c.FeedRequestsPerSecond is { } feedRate)
            {
                Line(text, $"     change feed (/v1/health/state/any): {feedRate:0.0} returns/s, {c.FeedBytesPerRequest / 1024:0.0} KiB each, {c.FeedBytesPerSecond / 1048576:0.00} MiB/s");
            }
        }
        else
        {
            Line(text, $"     Consul: {p.ConsulRequestsPerSecond:0.0} requests/s, 429s {p.TooManyRequests}");
        }
        if (p.CooldownViolations > 0)
        {
            Line(text, $"     {p.CooldownViolations} changes hit an instance still cooling down");
        }

        return text.ToString().TrimEnd();
    }

    public static string Run(RunResult r)
    {
        var text = new StringBuilder();
        var shape = r.Shape;
        Line(text, $"== {r.Name}: {shape.Services:N0} services x {shape.InstancesPerService} instances on {shape.Nodes:N0} nodes; " +
            $"{shape.WildcardStreams:N0} wildcard + {shape.ScopedStreams:N0} scoped streams" +
            (shape.ScopedStreams > 0 ? $" ({shape.DistinctScopes:N0} distinct lists of {shape.ScopeSize})" : "") +
            $", {shape.DeltaShare:P0} delta; Consul over {r.ConsulProtocol}");
        if (r.Note is not null)
        {
            Line(text, $"   note: {r.Note}");
        }

        Line(text, $"   seeded in {r.SeedSeconds:0.0} s; cold start to ready: {string.Join(", ", r.ColdStartSeconds.Select(s => s.ToString("0.000", CultureInfo.InvariantCulture) + " s"))}"
            + (r.CatalogReadFloorSeconds is { } floor ? $" (floor: harness reads the catalog in {floor:0.000} s)" : ""));
        if (r.StreamsOpened > 0)
        {
            Line(text, $"   {r.StreamsOpened:N0} streams synced in {r.FleetSyncSeconds:0.0} s, {r.StreamsEnded} ended early; " +
                $"bridge RSS {Mib(r.RssBeforeStreamsBytes)} -> {Mib(r.RssAfterStreamsBytes)}" +
                (r.RssGrowthPerStreamBytes is { } perStream ? $" ({perStream / 1024:0.0} KiB per stream)" : ""));
            Line(text, $"   bridge peak RSS {Mib(r.PeakRssBytes)}, GC paused {r.BridgeGcPauseSeconds:0.00} s in all");
        }

        Line(text, $"   agent: {r.Agent.Requests:N0} requests, peak {r.Agent.PeakConnectionsPerIp} connections from one IP ({r.Agent.PeakConnections} in all), " +
            $"{r.Agent.TooManyRequests} 429s ({r.Agent.ConnectionLimitRejections} connection-limit refusals)");
        foreach (var phase in r.Phases)
        {
            Line(text, Phase(phase));
        }

        return text.ToString().TrimEnd();
    }

    public static string Sweep(SweepResult sweep)
    {
        var text = new StringBuilder();
        Line(text, $"== {sweep.Name}: {sweep.Description}");
        Line(text, "   streams      p50      p99      max  floor p99  bridge cores  harness cores  responses/s  peak RSS");
        foreach (var p in sweep.Points)
        {
            Line(text, $"   {p.Streams,7:N0} {p.Propagation.P50,8:0.0} {p.Propagation.P99,8:0.0} {p.Propagation.Max,8:0.0} {p.Floor.P99,10:0.0} {p.BridgeCores,13:0.00} {p.HarnessCores,14:0.00} {p.ResponsesPerSecond,12:N0} {Mib(p.PeakRssBytes),9}");
        }

        return text.ToString().TrimEnd();
    }

    public static string Stats(LatencyStats s) => s.Count == 0
        ? "no samples"
        : string.Create(CultureInfo.InvariantCulture, $"p50 {s.P50:0.0} ms, p90 {s.P90:0.0} ms, p99 {s.P99:0.0} ms, max {s.Max:0.0} ms (n={s.Count:N0})");

    public static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0} MiB");

    private static void Line(StringBuilder text, FormattableString line) =>
        text.AppendLine(line.ToString(CultureInfo.InvariantCulture));

    private static void Line(StringBuilder text, string line) => text.AppendLine(line);
}
