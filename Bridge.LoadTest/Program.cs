using Bridge.LoadTest.Scenarios;

namespace Bridge.LoadTest;

/// <summary>
/// The load harness: <c>scripts/load [--scenario ...] [options]</c>. Runs the named scenarios against the Release
/// build of the bridge, prints progress and a summary, and writes JSON results (and the sweep's SVG plot).
/// Exit codes: 0 done, 1 a run failed, 2 bad arguments.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        LoadCommand command;
        try
        {
            command = CommandLine.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync((e.Message == "help" ? "" : $"error: {e.Message}\n") + CommandLine.Usage);
            return e.Message == "help" ? 0 : 2;
        }

        if (command.ProfileSummaryOf is { } profile)
        {
            Console.WriteLine(ProfileSummary.Render(profile, top: 60));
            return 0;
        }

        if (command.WriteCatalogPath is { } catalogPath)
        {
            var scenario = command.Scenarios[0];
            var settings = command.Overrides(Presets.Find(scenario) ?? Presets.SweepPoint(command.SweepStreams[0]));
            var catalog = settings.Catalog();
            await CatalogSeedFile.WriteAsync(catalog, catalogPath, CancellationToken.None);
            Print($"{settings.Name}: {catalog.Services} services x {catalog.InstancesPerService} instances on {catalog.Nodes} nodes written to {Path.GetFullPath(catalogPath)}");
            return 0;
        }

        if (command.ReplotFrom is { } sweepFile)
        {
            await using var json = File.OpenRead(sweepFile);
            var saved = await JsonSerializer.DeserializeAsync(json, LoadJsonContext.Default.SweepResult)
                ?? throw new InvalidDataException($"{sweepFile} holds no sweep");
            var target = command.PlotPath ?? Path.ChangeExtension(sweepFile, ".svg");
            await File.WriteAllTextAsync(target, SvgPlot.Render(saved, PlotTargetMs, PlotTitle));
            Print($"plot: {Path.GetFullPath(target)}");
            return 0;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        var output = command.OutputDirectory
            ?? Path.Combine("artifacts", "load", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        var environment = RunEnvironment.Locate(Path.GetFullPath(output), command.DaemonPath);
        Print($"bridge: {environment.Daemon}");
        Print($"results: {environment.OutputDirectory}");
        if (!environment.ConsulTlsSupported)
        {
            Print("note: this bridge build has no Consul:CaFile; scenarios that want HTTPS/HTTP-2 to Consul run over HTTP/1.1");
        }

        var summaries = new List<string>();
        try
        {
            foreach (var scenario in command.Scenarios)
            {
                if (scenario.Equals("consul-cost", StringComparison.OrdinalIgnoreCase))
                {
                    var bodies = await ConsulBodies.MeasureAsync(Presets.CostSizes, Print, cancel.Token);
                    await WriteJsonAsync(Path.Combine(environment.OutputDirectory, "consul-cost.json"), bodies, LoadJsonContext.Default.ListConsulBodySizes);
                    summaries.Add(ConsulBodies.Render(bodies));
                    Print("\n" + summaries[^1]);
                    continue;
                }

                if (scenario.Equals("sweep", StringComparison.OrdinalIgnoreCase))
                {
                    var sweep = await SweepAsync(command, environment, cancel.Token);
                    summaries.Add(Summary.Sweep(sweep));
                    continue;
                }

                var settings = command.Overrides(Presets.Find(scenario)!);
                var result = await LoadRun.ExecuteAsync(settings, environment, Print, cancel.Token);
                await WriteJsonAsync(Path.Combine(environment.OutputDirectory, settings.Name + ".json"), result, LoadJsonContext.Default.RunResult);
                summaries.Add(Summary.Run(result));
                Print("\n" + summaries[^1]);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"error: {e}");
            return 1;
        }
        finally
        {
            var text = string.Join("\n\n", summaries);
            await File.WriteAllTextAsync(Path.Combine(environment.OutputDirectory, "summary.txt"), text + "\n");
            if (summaries.Count > 1)
            {
                Print("\n" + text);
            }
        }

        return 0;
    }

    private static async Task<SweepResult> SweepAsync(LoadCommand command, RunEnvironment environment, CancellationToken ct)
    {
        var points = new List<SweepPoint>();
        var runs = new List<RunResult>();
        RunSettings? last = null;
        foreach (var streams in command.SweepStreams)
        {
            var settings = command.Overrides(Presets.SweepPoint(streams));
            last = settings;
            var result = await LoadRun.ExecuteAsync(settings, environment, Print, ct);
            runs.Add(result);
            Print(Summary.Run(result));
            var phase = result.Phases[0];
            points.Add(new SweepPoint(streams, phase.Propagation, phase.Floor, phase.BridgeCores, phase.HarnessCores, phase.ResponsesPerSecond, result.PeakRssBytes));
        }

        var phase0 = last!.Phases[0];
        var description = string.Create(CultureInfo.InvariantCulture,
            $"{last.Services:N0} services x {last.InstancesPerService}, wildcard streams, {phase0.PerSecond:0.#} changes/s, Consul over {runs[0].ConsulProtocol}");
        var sweep = new SweepResult("sweep", description, points);
        await WriteJsonAsync(Path.Combine(environment.OutputDirectory, "sweep.json"), sweep, LoadJsonContext.Default.SweepResult);
        await WriteJsonAsync(Path.Combine(environment.OutputDirectory, "sweep-runs.json"), runs, LoadJsonContext.Default.ListRunResult);
        var plot = command.PlotPath ?? Path.Combine(environment.OutputDirectory, "p99-vs-streams.svg");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(plot))!);
        await File.WriteAllTextAsync(plot, SvgPlot.Render(sweep, PlotTargetMs, PlotTitle), ct);
        Print($"plot: {Path.GetFullPath(plot)}");
        return sweep;
    }

    /// <summary>Scenario A's target, drawn on the sweep (which uses A's catalog and churn).</summary>
    private const double PlotTargetMs = 20;

    private const string PlotTitle = "Change-to-proxy propagation against stream count";

    private static async Task WriteJsonAsync<T>(string path, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, value, type);
    }

    private static void Print(string line) =>
        Console.WriteLine($"{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {line}");
}
