using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Bridge.Tests.Daemon;

/// <summary>How the daemon's parent looks to it.</summary>
public enum Parent
{
    /// <summary>The test host starts it: the daemon sees no service manager at all.</summary>
    TestHost,

    /// <summary>
    /// A parent process named <c>systemd</c>, which is how Microsoft.Extensions.Hosting.Systemd recognises a
    /// systemd service (its parent's /proc/PID/comm): the code paths that run in production under systemd.
    /// </summary>
    Systemd,
}

/// <summary>
/// The real daemon (<c>dotnet consul-xds-bridge.dll</c>, built beside the test assembly) as a child process with
/// a controlled environment: nothing inherited that the daemon reads (NOTIFY_SOCKET, WATCHDOG_*, STATE_DIRECTORY,
/// BRIDGE_*, CONSUL_HTTP_*), no /etc configuration file, and its output captured line by line.
/// </summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private const string PidLinePrefix = "daemon-pid ";
    private static readonly string[] InheritedVariablesToDrop =
        ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID", "LISTEN_FDS", "STATE_DIRECTORY", "CONFIGURATION_DIRECTORY", "INVOCATION_ID", "JOURNAL_STREAM"];

    private readonly Process _process;
    private readonly string _directory;
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _lineAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DaemonProcess(Process process, string directory)
    {
        _process = process;
        _directory = directory;
    }

    public static string DaemonAssembly => Path.Combine(AppContext.BaseDirectory, "consul-xds-bridge.dll");

    /// <summary>The daemon's own process id (in <see cref="Parent.Systemd"/> mode, not its parent's).</summary>
    public int Pid { get; private set; }

    /// <summary>Everything the daemon wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public static async Task<DaemonProcess> StartAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, Parent parent = Parent.TestHost)
    {
        var directory = Directory.CreateTempSubdirectory("cxb-daemon-").FullName;
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        if (parent == Parent.Systemd)
        {
            // The shell stays the daemon's parent (it waits), is named systemd, and exits with the daemon's code.
            var systemd = Path.Combine(directory, "systemd");
            File.CreateSymbolicLink(systemd, "/bin/sh");
            start.FileName = systemd;
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"\"$0\" \"$@\" & echo \"{PidLinePrefix}$!\"; wait $!");
        }
        else
        {
            start.FileName = "dotnet";
        }

        start.ArgumentList.Add(parent == Parent.Systemd ? "dotnet" : DaemonAssembly);
        if (parent == Parent.Systemd)
        {
            start.ArgumentList.Add(DaemonAssembly);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.ToList())
        {
            if (InheritedVariablesToDrop.Contains(name) || name.StartsWith("BRIDGE_", StringComparison.Ordinal) || name.StartsWith("CONSUL_HTTP_", StringComparison.Ordinal))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["BRIDGE_CONFIG"] = Path.Combine(directory, "absent.json");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var daemon = new DaemonProcess(process, directory);
        process.OutputDataReceived += (_, e) => daemon.Add(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        daemon.Pid = parent == Parent.Systemd
            ? int.Parse((await daemon.WaitForLineAsync(l => l.StartsWith(PidLinePrefix, StringComparison.Ordinal), TimeSpan.FromSeconds(10), "with the daemon's pid"))[PidLinePrefix.Length..], CultureInfo.InvariantCulture)
            : process.Id;
        return daemon;
    }

    /// <summary>Waits for an output line satisfying <paramref name="match"/> (lines already written count) and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        var seen = 0;
        while (true)
        {
            Task added;
            lock (_gate)
            {
                for (; seen < _lines.Count; seen++)
                {
                    if (match(_lines[seen]))
                    {
                        return _lines[seen];
                    }
                }

                added = _lineAdded.Task;
            }

            try
            {
                await added.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"no output line {what} within {timeout.TotalSeconds} s; output:\n{Output}");
            }
        }
    }

    /// <summary>Sends a signal to the daemon itself, as systemd's KillMode= does to the main process.</summary>
    public void Signal(int signal)
    {
        if (kill(Pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({Pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The exit code once the process has exited, or a <see cref="TimeoutException"/> naming what it wrote.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"the daemon did not exit within {timeout.TotalSeconds} s; output:\n{Output}");
        }

        return _process.ExitCode;
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
            _lines.Add(line);
            added = _lineAdded;
            _lineAdded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        added.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}

/// <summary>Signal numbers on Linux.</summary>
internal static class Signals
{
    public const int Hangup = 1;
    public const int Terminate = 15;
}
