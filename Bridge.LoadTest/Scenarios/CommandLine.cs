namespace Bridge.LoadTest.Scenarios;

/// <summary>What <c>scripts/load</c> was asked to do.</summary>
internal sealed record LoadCommand
{
    public IReadOnlyList<string> Scenarios { get; init; } = ["smoke"];

    /// <summary>Applies the command line's overrides to a preset.</summary>
    public Func<RunSettings, RunSettings> Overrides { get; init; } = s => s;

    public IReadOnlyList<int> SweepStreams { get; init; } = Presets.SweepStreams;

    public string? OutputDirectory { get; init; }

    public string? PlotPath { get; init; }

    /// <summary>A bridge build other than the repository's own (e.g. one with a candidate fix).</summary>
    public string? DaemonPath { get; init; }

    /// <summary>Only draw the plot again from a <c>sweep.json</c>.</summary>
    public string? ReplotFrom { get; init; }

    /// <summary>Only rank the methods of a converted profile (<c>scripts/profile</c> does this).</summary>
    public string? ProfileSummaryOf { get; init; }

    /// <summary>Only write the scenario's catalog as a dev agent seed file, here.</summary>
    public string? WriteCatalogPath { get; init; }
}

/// <summary>Parses <c>scripts/load</c>'s options.</summary>
internal static class CommandLine
{
    public const string Usage = """
        usage: scripts/load [--scenario NAME[,NAME...]] [options]

        scenarios (default smoke):
          smoke   50 services x 3, 50 streams, 20 changes (what CI runs)
          A       1,000 services x 10, 1,000 wildcard streams, 10 changes/s          target p99 <= 20 ms
          B       4,000 x 65, 5,000 streams scoped to 50 + 200 wildcard, 50 changes/s target p99 <= 100 ms, RSS <= 2 GB, no 429
          C       B's catalog, 5,000 streams all calling one hot service              target p99 <= 250 ms, >= 20,000 updates/s
          BC      B then C in one run (B's fleet, every scoped stream also calling the hot service)
          idle    10,000 idle streams scoped to 50 of 1,000 services                  target <= 50 KB RSS per stream
          cold    bridge start to ready with B's catalog, three times                 target <= 10 s
          sweep   A's catalog and churn at 100, 500, 1,000, 2,000, 5,000 wildcard streams; writes the plot
          fresh-1k  1,000 services x 3 over plain HTTP, agent at Consul's defaults (200 connections per client
                  address), every kind of change to random services and new services      target p99 <= 1 s, no 429
          fresh-5k  the same with 5,000 services                                           target p99 <= 1 s, no 429
          consul-cost  size of Consul's answers (a service, the service list, /v1/health/state/any) at 1,000 x 3,
                  5,000 x 3 and 4,000 x 65 instances: what each design costs the agent per change
          all     A, BC, idle, cold, sweep

        options (override the scenario's values):
          --services N --instances N --nodes N      catalog
          --wildcard N --scoped N --scope-size N    streams (wildcard, scoped to N services each)
          --distinct-scopes N                       different service lists among scoped streams (default: one per service)
          --delta-share F                           share of streams on delta ADS (0..1, default 0.5)
          --rate R --changes N                      rate and count of the first churn phase
          --streams-per-connection N                ADS streams sharing one HTTP/2 connection (default 1, as real proxies)
          --http | --https                          the bridge talks to the agent over HTTP/1.1 or HTTPS (HTTP/2)
          --streams N,N,...                         sweep points
          --out DIR                                 results (default artifacts/load/<time>)
          --plot PATH                               the sweep's SVG (default <out>/p99-vs-streams.svg)
          --daemon PATH                             run this consul-xds-bridge.dll instead of the repository's Release build
          --replot SWEEP.json                       only draw the plot again from a sweep's results (to --plot)
          --profile-summary FILE.speedscope.json    only rank the bridge's methods by managed CPU in a profile (scripts/profile)
          --write-catalog FILE.json                 only write the scenario's catalog as a dev agent seed file (Bridge.DevAgent --seed)
          --bridge-arg --Key=Value                  extra bridge setting (repeatable)
          --bridge-env KEY=VALUE                    extra bridge environment variable (repeatable)
          --seed N --drain SECONDS --settle SECONDS
          --quiet-wait SECONDS                      wait at most this long for other processes to go quiet (default 600, 0 = don't)
        """;

    public static LoadCommand Parse(IReadOnlyList<string> args)
    {
        var command = new LoadCommand();
        var overrides = new List<Func<RunSettings, RunSettings>>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                throw new ArgumentException("help");
            }

            if (name is "--http" or "--https")
            {
                var https = name == "--https";
                overrides.Add(s => s with { Https = https });
                continue;
            }

            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value");
            }

            var value = args[++i];
            switch (name)
            {
                case "--scenario":
                    var scenarios = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    scenarios = [.. scenarios.SelectMany(s => s.Equals("all", StringComparison.OrdinalIgnoreCase) ? ["A", "BC", "idle", "cold", "sweep"] : new[] { s })];
                    foreach (var scenario in scenarios)
                    {
                        if (!scenario.Equals("sweep", StringComparison.OrdinalIgnoreCase) && !scenario.Equals("consul-cost", StringComparison.OrdinalIgnoreCase)
                            && Presets.Find(scenario) is null)
                        {
                            throw new ArgumentException($"unknown scenario '{scenario}'");
                        }
                    }

                    command = command with { Scenarios = scenarios };
                    break;
                case "--services":
                    var services = Int(name, value, 1);
                    overrides.Add(s => s with { Services = services });
                    break;
                case "--instances":
                    var instances = Int(name, value, 1);
                    overrides.Add(s => s with { InstancesPerService = instances });
                    break;
                case "--nodes":
                    var nodes = Int(name, value, 1);
                    overrides.Add(s => s with { Nodes = nodes });
                    break;
                case "--wildcard":
                    var wildcard = Int(name, value, 0);
                    overrides.Add(s => s with { WildcardStreams = wildcard });
                    break;
                case "--scoped":
                    var scoped = Int(name, value, 0);
                    overrides.Add(s => s with { ScopedStreams = scoped });
                    break;
                case "--scope-size":
                    var scopeSize = Int(name, value, 1);
                    overrides.Add(s => s with { ScopeSize = scopeSize });
                    break;
                case "--distinct-scopes":
                    var distinct = Int(name, value, 1);
                    overrides.Add(s => s with { DistinctScopes = distinct });
                    break;
                case "--delta-share":
                    var share = Double(name, value);
                    if (share is < 0 or > 1)
                    {
                        throw new ArgumentException($"--delta-share must be between 0 and 1, got {value}");
                    }

                    overrides.Add(s => s with { DeltaShare = share });
                    break;
                case "--rate":
                    var rate = Double(name, value);
                    overrides.Add(s => WithFirstPhase(s, p => p with { PerSecond = rate }));
                    break;
                case "--changes":
                    var changes = Int(name, value, 1);
                    overrides.Add(s => WithFirstPhase(s, p => p with { Changes = changes }));
                    break;
                case "--streams":
                    command = command with { SweepStreams = [.. value.Split(',').Select(v => Int(name, v.Trim(), 1))] };
                    break;
                case "--out":
                    command = command with { OutputDirectory = value };
                    break;
                case "--plot":
                    command = command with { PlotPath = value };
                    break;
                case "--daemon":
                    command = command with { DaemonPath = Path.GetFullPath(value) };
                    break;
                case "--replot":
                    command = command with { ReplotFrom = value };
                    break;
                case "--profile-summary":
                    command = command with { ProfileSummaryOf = value };
                    break;
                case "--write-catalog":
                    command = command with { WriteCatalogPath = value };
                    break;
                case "--bridge-arg":
                    overrides.Add(s => s with { BridgeArguments = [.. s.BridgeArguments, value] });
                    break;
                case "--bridge-env":
                    var eq = value.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--bridge-env needs KEY=VALUE, got '{value}'");
                    }

                    var (key, setting) = (value[..eq], value[(eq + 1)..]);
                    overrides.Add(s => s with { BridgeEnvironment = new Dictionary<string, string>(s.BridgeEnvironment) { [key] = setting } });
                    break;
                case "--streams-per-connection":
                    var perConnection = Int(name, value, 1);
                    overrides.Add(s => s with { StreamsPerConnection = perConnection });
                    break;
                case "--seed":
                    var seed = Int(name, value, 0);
                    overrides.Add(s => s with { Seed = seed });
                    break;
                case "--drain":
                    var drain = TimeSpan.FromSeconds(Double(name, value));
                    overrides.Add(s => s with { DrainTimeout = drain });
                    break;
                case "--quiet-wait":
                    var quiet = TimeSpan.FromSeconds(Double(name, value));
                    overrides.Add(s => s with { QuietWait = quiet });
                    break;
                case "--settle":
                    var settle = TimeSpan.FromSeconds(Double(name, value));
                    overrides.Add(s => s with { Settle = settle });
                    break;
                default:
                    throw new ArgumentException($"unknown option {name}");
            }
        }

        return command with { Overrides = s => overrides.Aggregate(s, (current, apply) => apply(current)) };
    }

    private static RunSettings WithFirstPhase(RunSettings settings, Func<PhaseSettings, PhaseSettings> change) =>
        settings.Phases.Count == 0 ? settings : settings with { Phases = [change(settings.Phases[0]), .. settings.Phases.Skip(1)] };

    private static int Int(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var n) && n >= min
            ? n
            : throw new ArgumentException($"{name} must be a whole number of at least {min}, got '{value}'");

    private static double Double(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0
            ? d
            : throw new ArgumentException($"{name} must be a non-negative number, got '{value}'");
}
