using Bridge.Testing.Hosting;

namespace Bridge.LoadTest.Bridge;

/// <summary>
/// The bridge under load: the daemon started as every test starts it (<see cref="BridgeProcess"/>, from the Release
/// build, on free loopback ports), its output going to a log file, with its CPU time, memory and metrics read as it runs.
/// </summary>
internal sealed class LoadedBridge : IAsyncDisposable
{
    private readonly BridgeProcess _process;
    private readonly HttpClient _admin;

    private LoadedBridge(BridgeProcess process)
    {
        _process = process;
        _admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.AdminPort}"), Timeout = TimeSpan.FromSeconds(10) };
        Sampler = new ProcessSampler(process.Pid);
    }

    public int Pid => _process.Pid;

    public int AdsPort => _process.AdsPort;

    /// <summary>Reads the bridge's CPU time and memory from /proc.</summary>
    public ProcessSampler Sampler { get; }

    /// <summary>Process start to the moment it served a full catalog with its admin listener up.</summary>
    public TimeSpan StartToReady { get; private set; }

    /// <summary>Starts the bridge against the agent at <paramref name="consul"/>.</summary>
    /// <param name="daemon">Path of <c>consul-xds-bridge.dll</c>.</param>
    /// <param name="consul">The agent's address.</param>
    /// <param name="caFile">The agent's CA in PEM, for an HTTPS agent.</param>
    /// <param name="extraArguments">More <c>--Key=Value</c> settings.</param>
    /// <param name="environment">Extra environment variables (e.g. <c>DOTNET_gcServer=0</c> for an experiment).</param>
    /// <param name="logPath">Where its stdout and stderr go.</param>
    public static async Task<LoadedBridge> StartAsync(
        string daemon, Uri consul, string? caFile, IEnumerable<string> extraArguments, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var process = await BridgeProcess.StartAsync(new BridgeProcessOptions
        {
            Daemon = daemon,
            ConsulAddress = consul.GetLeftPart(UriPartial.Authority),
            Settings = caFile is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["Consul:CaFile"] = caFile },
            Arguments = [.. extraArguments],
            Environment = environment,
            LogPath = logPath,
        }).ConfigureAwait(false);
        return new LoadedBridge(process);
    }

    /// <summary>Waits until the bridge serves a full catalog (event 2004) with its admin listener up; records <see cref="StartToReady"/>.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken ct) =>
        StartToReady = await _process.WaitReadyAsync(timeout).WaitAsync(ct).ConfigureAwait(false);

    /// <summary>The bridge's Prometheus metrics, summed per metric name over label sets.</summary>
    public async Task<PrometheusText> ScrapeAsync(CancellationToken ct)
    {
        var text = await _admin.GetStringAsync("/metrics", ct).ConfigureAwait(false);
        return PrometheusText.Parse(text);
    }

    /// <summary>SIGTERM: the bridge drains its streams and stops as under systemd.</summary>
    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _process.StopAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        await _process.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A Prometheus text exposition, each metric name's samples summed over their label sets.</summary>
internal sealed class PrometheusText
{
    private readonly Dictionary<string, double> _sums;

    private PrometheusText(Dictionary<string, double> sums) => _sums = sums;

    public double this[string name] => _sums.GetValueOrDefault(name, double.NaN);

    public bool Has(string name) => _sums.ContainsKey(name);

    public IEnumerable<string> Names => _sums.Keys;

    public static PrometheusText Parse(string text)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            if (space <= 0)
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var name = brace > 0 && brace < space ? line[..brace] : line[..space].Trim();
            if (double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sums[name] = sums.GetValueOrDefault(name) + value;
            }
        }

        return new PrometheusText(sums);
    }
}
