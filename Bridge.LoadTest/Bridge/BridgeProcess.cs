using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Bridge.LoadTest.Measurement;

namespace Bridge.LoadTest.Bridge;

/// <summary>
/// The bridge under test, run as a child process from its Release build exactly as an operator runs it, on free
/// loopback ports, its output going to a log file. Its start time is taken just before the process is started.
/// </summary>
internal sealed partial class BridgeProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly HttpClient _admin;
    private readonly Task _copyOut;
    private readonly Task _copyErr;
    private readonly long _startedAt;

    private BridgeProcess(Process process, int adsPort, int adminPort, long startedAt, Task copyOut, Task copyErr)
    {
        _process = process;
        AdsPort = adsPort;
        AdminPort = adminPort;
        _startedAt = startedAt;
        _copyOut = copyOut;
        _copyErr = copyErr;
        _admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = TimeSpan.FromSeconds(10) };
        Sampler = new ProcessSampler(process.Id);
    }

    public int Pid => _process.Id;

    public int AdsPort { get; }

    public int AdminPort { get; }

    /// <summary>Reads the bridge's CPU time and memory from /proc.</summary>
    public ProcessSampler Sampler { get; }

    /// <summary>Process start to the first <c>/readyz</c> that says <c>ready</c>.</summary>
    public TimeSpan StartToReady { get; private set; }

    /// <summary>
    /// The daemon's build in the repository this harness runs from: <c>Bridge.Daemon/bin/&lt;configuration&gt;/net10.0</c>,
    /// the harness's own configuration first (Release from <c>scripts/load</c> and <c>scripts/test</c>).
    /// </summary>
    public static string LocateDaemon()
    {
        var own = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "bridge.sln")))
            {
                foreach (var configuration in new[] { own, own == "Release" ? "Debug" : "Release" })
                {
                    var dll = Path.Combine(dir.FullName, "Bridge.Daemon", "bin", configuration, "net10.0", "consul-xds-bridge.dll");
                    if (File.Exists(dll))
                    {
                        return dll;
                    }
                }

                throw new FileNotFoundException($"No build of the bridge under {dir.FullName}/Bridge.Daemon/bin: run `dotnet build bridge.sln -c Release` first.");
            }
        }

        throw new FileNotFoundException("Cannot find the repository (bridge.sln) above " + AppContext.BaseDirectory);
    }

    /// <summary>Starts the bridge against the agent at <paramref name="consul"/>.</summary>
    /// <param name="daemon">Path of <c>consul-xds-bridge.dll</c>.</param>
    /// <param name="consul">The agent's address.</param>
    /// <param name="caFile">The agent's CA in PEM, for an HTTPS agent.</param>
    /// <param name="extraArguments">More <c>--Key=Value</c> settings.</param>
    /// <param name="environment">Extra environment variables (e.g. <c>DOTNET_gcServer=0</c> for an experiment).</param>
    /// <param name="logPath">Where its stdout and stderr go.</param>
    public static BridgeProcess Start(
        string daemon, Uri consul, string? caFile, IEnumerable<string> extraArguments, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var adsPort = FreePort();
        var adminPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(daemon);
        start.ArgumentList.Add("--Consul:Address=" + consul.GetLeftPart(UriPartial.Authority));
        if (caFile is not null)
        {
            start.ArgumentList.Add("--Consul:CaFile=" + caFile);
        }

        start.ArgumentList.Add($"--Ads:Listen=127.0.0.1:{adsPort}");
        start.ArgumentList.Add($"--Admin:Listen=127.0.0.1:{adminPort}");
        foreach (var argument in extraArguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only what the run says: no Consul or bridge settings, nor the harness's own GC tuning, leak in from the
        // caller's environment.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("CONSUL_", StringComparison.Ordinal) || k.StartsWith("BRIDGE_", StringComparison.Ordinal)
            || k.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase) || k.StartsWith("DOTNET_gc", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        // Default settings, whatever another install on the machine left in /etc/consul-xds-bridge/appsettings.json.
        start.Environment["BRIDGE_CONFIG"] = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(logPath))!, "no-settings-file.json");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var log = new StreamWriter(logPath) { AutoFlush = false };
        var startedAt = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var gate = new SemaphoreSlim(1, 1);
        var copyOut = CopyAsync(process.StandardOutput, log, gate);
        var copyErr = CopyAsync(process.StandardError, log, gate);
        _ = Task.WhenAll(copyOut, copyErr).ContinueWith(_ => log.Dispose(), TaskScheduler.Default);
        return new BridgeProcess(process, adsPort, adminPort, startedAt, copyOut, copyErr);
    }

    /// <summary>Polls <c>/readyz</c> until it says <c>ready</c>; records <see cref="StartToReady"/>.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The bridge exited with code {_process.ExitCode} before it was ready; see its log.");
            }

            try
            {
                using var response = await _admin.GetAsync("/readyz", deadline.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK && body.Contains("\"ready\"", StringComparison.Ordinal))
                {
                    StartToReady = Stopwatch.GetElapsedTime(_startedAt);
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new TimeoutException($"The bridge was not ready within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(10, deadline.Token).ConfigureAwait(false);
        }
    }

    /// <summary>The bridge's Prometheus metrics, summed per metric name over label sets.</summary>
    public async Task<PrometheusText> ScrapeAsync(CancellationToken ct)
    {
        var text = await _admin.GetStringAsync("/metrics", ct).ConfigureAwait(false);
        return PrometheusText.Parse(text);
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        if (!_process.HasExited)
        {
            // SIGTERM: the bridge drains its streams and stops as under systemd.
            _ = Kill(_process.Id, SigTerm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        await Task.WhenAll(_copyOut, _copyErr).ConfigureAwait(false);
        _process.Dispose();
    }

    private static async Task CopyAsync(StreamReader from, StreamWriter to, SemaphoreSlim gate)
    {
        while (await from.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                await to.WriteLineAsync(line).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }

        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await to.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
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
