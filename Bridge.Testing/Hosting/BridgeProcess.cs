using System.Runtime.InteropServices;

namespace Bridge.Testing.Hosting;

/// <summary>How the daemon's parent looks to it.</summary>
public enum BridgeParent
{
    /// <summary>The test or harness starts it: the daemon sees no service manager at all.</summary>
    TestHost,

    /// <summary>
    /// A parent process named <c>systemd</c>, which is how Microsoft.Extensions.Hosting.Systemd recognises a
    /// systemd service (its parent's /proc/PID/comm): the code paths that run in production under systemd.
    /// </summary>
    Systemd,
}

/// <summary>What a <see cref="BridgeProcess"/> is started with, on top of the contract it describes.</summary>
public sealed record BridgeProcessOptions
{
    /// <summary>The Consul agent's address, given as <c>--Consul:Address</c>; none leaves the setting alone.</summary>
    public string? ConsulAddress { get; init; }

    /// <summary>More settings, each given as <c>--Key=Value</c> after the ones the contract gives (later ones win).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>More of the command line, as given, after the settings.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Environment variables set for the daemon after the inherited ones are cleaned.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The settings file the daemon reads and reloads (<c>BRIDGE_CONFIG</c>); none means a file that does not exist.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Who the daemon's parent seems to be.</summary>
    public BridgeParent Parent { get; init; } = BridgeParent.TestHost;

    /// <summary>A file that gets every line the daemon writes, as well.</summary>
    public string? LogPath { get; init; }

    /// <summary>The <c>consul-xds-bridge.dll</c> to run; <see cref="Repository.Daemon"/> when null.</summary>
    public string? Daemon { get; init; }
}

/// <summary>
/// The real daemon as a child process, started the one way every test and harness starts it (the conformance
/// suite's <c>conformance/lib/bridge.mjs</c> follows the same contract):
/// <list type="bullet">
/// <item><c>dotnet &lt;Bridge.Daemon/bin/&lt;configuration&gt;/net10.0/consul-xds-bridge.dll&gt; --Consul:Address=&lt;agent&gt;
/// --Ads:Listen=127.0.0.1:&lt;free port&gt; --Admin:Listen=127.0.0.1:&lt;free port&gt; [--Key=Value ...]</c>, the
/// configuration being <c>BRIDGE_CONFIGURATION</c> or the caller's own;</item>
/// <item>nothing inherited that the daemon or .NET would read as settings: <c>BRIDGE_*</c>, <c>CONSUL_*</c>,
/// <c>ASPNETCORE_*</c>, <c>DOTNET_ENVIRONMENT</c>, .NET's GC tuning (<c>DOTNET_gc*</c>, <c>DOTNET_GC*</c>) and
/// systemd's variables (<c>NOTIFY_SOCKET</c>, <c>WATCHDOG_*</c>, <c>LISTEN_*</c>, <c>STATE_DIRECTORY</c>, ...), so
/// only what the caller sets applies;</item>
/// <item><c>BRIDGE_CONFIG</c> naming the caller's settings file, or one that does not exist: never the machine's
/// <c>/etc/consul-xds-bridge/appsettings.json</c>;</item>
/// <item>ready once it logs event 2004 (CatalogSynced) and its admin listener is up; stopped with SIGTERM as
/// systemd stops it, killed after a grace period.</item>
/// </list>
/// Its output is kept line by line (the latest lines, when there are very many) and can be awaited.
/// </summary>
public sealed class BridgeProcess : IAsyncDisposable
{
    /// <summary>SIGHUP: reload the settings.</summary>
    public const int Hangup = 1;

    /// <summary>SIGTERM: drain and stop.</summary>
    public const int Terminate = 15;

    private const int KeptLines = 20_000;
    private const string PidLinePrefix = "daemon-pid ";
    private static readonly string[] ServiceManagerVariables =
        ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "STATE_DIRECTORY", "CONFIGURATION_DIRECTORY", "INVOCATION_ID", "JOURNAL_STREAM"];

    private readonly Process _process;
    private readonly string _directory;
    private readonly StreamWriter? _log;
    private readonly List<(string Text, long Timestamp)> _lines = [];
    private readonly Lock _gate = new();
    private long _dropped;
    private TaskCompletionSource _lineAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BridgeProcess(Process process, string directory, StreamWriter? log, int adsPort, int adminPort)
    {
        _process = process;
        _directory = directory;
        _log = log;
        AdsPort = adsPort;
        AdminPort = adminPort;
    }

    /// <summary>The daemon's own process id (under <see cref="BridgeParent.Systemd"/>, not its parent's).</summary>
    public int Pid { get; private set; }

    /// <summary>The ADS port it was told to listen on.</summary>
    public int AdsPort { get; }

    /// <summary>The admin port it was told to listen on.</summary>
    public int AdminPort { get; }

    /// <summary>The <see cref="Stopwatch.GetTimestamp"/> taken just before the process was started.</summary>
    public long StartedAt { get; private set; }

    /// <summary>Everything the daemon wrote to stdout and stderr so far (the latest lines when there are very many).</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines.Select(l => l.Text));
            }
        }
    }

    /// <summary>Starts the daemon; returns as soon as the process runs (see <see cref="WaitReadyAsync"/>).</summary>
    /// <param name="options">What it is started with.</param>
    /// <returns>The running daemon.</returns>
    public static async Task<BridgeProcess> StartAsync(BridgeProcessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var daemon = options.Daemon ?? Repository.Daemon;
        var directory = Directory.CreateTempSubdirectory("cxb-daemon-").FullName;
        var (adsPort, adminPort) = (FreePort.Next(), FreePort.Next());
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        if (options.Parent == BridgeParent.Systemd)
        {
            // The shell stays the daemon's parent (it waits), is named systemd, and exits with the daemon's code.
            var systemd = Path.Combine(directory, "systemd");
            File.CreateSymbolicLink(systemd, "/bin/sh");
            start.FileName = systemd;
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"\"$0\" \"$@\" & echo \"{PidLinePrefix}$!\"; wait $!");
            start.ArgumentList.Add("dotnet");
        }
        else
        {
            start.FileName = "dotnet";
        }

        start.ArgumentList.Add(daemon);
        if (options.ConsulAddress is { } consul)
        {
            start.ArgumentList.Add($"--Consul:Address={consul}");
        }

        start.ArgumentList.Add($"--Ads:Listen=127.0.0.1:{adsPort}");
        start.ArgumentList.Add($"--Admin:Listen=127.0.0.1:{adminPort}");
        foreach (var (key, value) in options.Settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        foreach (var argument in options.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(ReadAsSettings).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["BRIDGE_CONFIG"] = options.ConfigFile ?? Path.Combine(directory, "absent.json");
        foreach (var (name, value) in options.Environment)
        {
            start.Environment[name] = value;
        }

        var log = options.LogPath is { } path ? new StreamWriter(path) : null;
        var process = new Process { StartInfo = start };
        var bridge = new BridgeProcess(process, directory, log, adsPort, adminPort);
        process.OutputDataReceived += (_, e) => bridge.Add(e.Data);
        process.ErrorDataReceived += (_, e) => bridge.Add(e.Data);
        bridge.StartedAt = Stopwatch.GetTimestamp();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bridge.Pid = options.Parent == BridgeParent.Systemd
            ? int.Parse((await bridge.WaitForLineAsync(l => l.StartsWith(PidLinePrefix, StringComparison.Ordinal), TimeSpan.FromSeconds(10), "with the daemon's pid").ConfigureAwait(false))[PidLinePrefix.Length..], CultureInfo.InvariantCulture)
            : process.Id;
        return bridge;
    }

    /// <summary>Whether the daemon would read <paramref name="name"/> (or .NET would, for it): never inherited.</summary>
    private static bool ReadAsSettings(string name) =>
        ServiceManagerVariables.Contains(name)
        || name.StartsWith("BRIDGE_", StringComparison.Ordinal)
        || name.StartsWith("CONSUL_", StringComparison.Ordinal)
        || name.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
        || name == "DOTNET_ENVIRONMENT"
        || name.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase);

    /// <summary>Waits for an output line satisfying <paramref name="match"/> (lines already written count) and returns it.</summary>
    /// <param name="match">What the line must satisfy (see <see cref="LogLines"/>).</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="what">Names the line in the failure message.</param>
    /// <returns>The line.</returns>
    /// <exception cref="TimeoutException">No such line within <paramref name="timeout"/>; carries the output.</exception>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what) =>
        (await WaitForStampedLineAsync(match, timeout, what).ConfigureAwait(false)).Text;

    /// <summary>
    /// Waits until the daemon serves a full catalog read from Consul (event 2004) and its admin listener is up.
    /// </summary>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>From just before the process started to the later of the two lines.</returns>
    public async Task<TimeSpan> WaitReadyAsync(TimeSpan timeout)
    {
        var exited = _process.WaitForExitAsync();
        var ready = Task.WhenAll(
            WaitForStampedLineAsync(LogLines.Event(2004), timeout, "with event 2004 (catalog synced)"),
            WaitForStampedLineAsync(LogLines.Listening(AdminPort), timeout, "saying the admin port listens"));
        if (await Task.WhenAny(ready, exited).ConfigureAwait(false) == exited)
        {
            throw new InvalidOperationException($"The bridge exited with code {_process.ExitCode} before it was ready; output:\n{Output}");
        }

        var lines = await ready.ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(StartedAt, lines.Max(l => l.Timestamp));
    }

    /// <summary>Sends a signal to the daemon itself, as systemd's KillMode= does to the main process.</summary>
    /// <param name="signal">E.g. <see cref="Terminate"/> or <see cref="Hangup"/>.</param>
    public void Signal(int signal)
    {
        if (Kill(Pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({Pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The exit code once the process has exited, or a <see cref="TimeoutException"/> naming what it wrote.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>The exit code.</returns>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"the daemon did not exit within {timeout.TotalSeconds} s; output:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGTERM, as systemd stops it (streams drain, proxies reconnect); killed if still running after <paramref name="grace"/>.</summary>
    /// <param name="grace">How long it may take to stop.</param>
    /// <returns>Completes once it has exited.</returns>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = Kill(Pid, Terminate);
        try
        {
            await WaitForExitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await DisposeProcessAsync().ConfigureAwait(false);
        }
    }

    private async Task<(string Text, long Timestamp)> WaitForStampedLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = 0L;
        while (true)
        {
            Task added;
            lock (_gate)
            {
                for (seen = Math.Max(seen, _dropped); seen < _dropped + _lines.Count; seen++)
                {
                    var line = _lines[(int)(seen - _dropped)];
                    if (match(line.Text))
                    {
                        return line;
                    }
                }

                added = _lineAdded.Task;
            }

            try
            {
                await added.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"no output line {what} within {timeout.TotalSeconds} s; output:\n{Output}");
            }
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        TaskCompletionSource added;
        lock (_gate)
        {
            _log?.WriteLine(line);
            _lines.Add((line, Stopwatch.GetTimestamp()));
            if (_lines.Count > KeptLines)
            {
                _lines.RemoveRange(0, KeptLines / 2);
                _dropped += KeptLines / 2;
            }

            added = _lineAdded;
            _lineAdded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        added.TrySetResult();
    }

    private async Task DisposeProcessAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Kills the daemon if it still runs (a crash, not a shutdown: call <see cref="StopAsync"/> first for that).</summary>
    /// <returns>Completes once it is gone and its output is flushed.</returns>
    public async ValueTask DisposeAsync()
    {
        await DisposeProcessAsync().ConfigureAwait(false);
        _process.Dispose();
        lock (_gate)
        {
            _log?.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>Recognises the daemon's log lines, in the JSON-lines format and in systemd's console format.</summary>
public static class LogLines
{
    /// <summary>A line of event <paramref name="id"/>.</summary>
    /// <param name="id">The event id.</param>
    /// <returns>The test of a line.</returns>
    public static Func<string, bool> Event(int id) =>
        line => line.Contains($"\"eventId\":{id},", StringComparison.Ordinal) || line.Contains($"[{id}]", StringComparison.Ordinal);

    /// <summary>ASP.NET Core's line (event 14, ListeningOnAddress) once Kestrel accepts connections on <paramref name="port"/>.</summary>
    /// <param name="port">The port.</param>
    /// <returns>The test of a line.</returns>
    public static Func<string, bool> Listening(int port) =>
        line => line.Contains("Now listening on", StringComparison.Ordinal) && line.Contains($"127.0.0.1:{port}", StringComparison.Ordinal);
}
