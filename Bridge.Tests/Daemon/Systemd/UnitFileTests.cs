using Bridge.Daemon.Cli;

namespace Bridge.Tests.Daemon;

/// <summary>systemd/consul-xds-bridge.service as systemd reads it, and the environment file example beside it.</summary>
[TestFixture]
public sealed class UnitFileTests
{
    private static readonly string SystemdFolder = Path.Combine(Repository.Root, "systemd");
    private static readonly string UnitPath = Path.Combine(SystemdFolder, "consul-xds-bridge.service");

    [Test]
    public async Task Systemd_analyze_verify_accepts_the_unit_without_a_warning()
    {
        using var unit = UnitCopy.Create();

        // --man=no: the man page of Documentation= comes with the Debian package (scripts/test-package verifies
        // the installed unit with it); it is not installed where the tests run.
        var (code, output) = await SystemdAnalyzeAsync("verify", "--man=no", unit.Path);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0), output);
            Assert.That(output.Split('\n').Where(l => l.Contains("consul-xds-bridge", StringComparison.Ordinal)), Is.Empty, output);
        });
    }

    [Test]
    public async Task Systemd_analyze_security_rates_the_sandbox_ok()
    {
        using var unit = UnitCopy.Create();

        var (code, output) = await SystemdAnalyzeAsync("security", "--offline=true", "--no-pager", unit.Path);
        var overall = output.Split('\n').SingleOrDefault(l => l.Contains("Overall exposure level", StringComparison.Ordinal)) ?? "";
        var exposure = double.Parse(overall.Split(':')[^1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0), output);
            // 10 is an unsandboxed root service; this unit scored 1.2 when it was written.
            Assert.That(exposure, Is.LessThanOrEqualTo(2.0), overall);
        });
    }

    [Test]
    public void The_unit_asks_for_the_protocol_the_daemon_speaks()
    {
        var unit = UnitDirectives.Read(UnitPath);

        Assert.Multiple(() =>
        {
            Assert.That(unit["Type"], Is.EqualTo(new[] { "notify" }));
            Assert.That(unit["ExecStart"], Is.EqualTo(new[] { "/usr/bin/consul-xds-bridge" }));
            Assert.That(unit["WatchdogSec"], Has.Count.EqualTo(1));
            Assert.That(unit["Restart"], Is.EqualTo(new[] { "on-failure" }));
            // Exit 1 is an invalid configuration but also a failed catalog pipeline (event 5201), which must restart.
            Assert.That(unit.ContainsKey("RestartPreventExitStatus"), Is.False);
            Assert.That(unit["StartLimitBurst"], Has.Count.EqualTo(1), "a configuration that cannot start is given up on");
            Assert.That(unit["ExecReload"], Is.EqualTo(new[] { "/bin/kill -HUP $MAINPID" }), "SIGHUP reloads, or is logged and ignored");
            // The host's own shutdown takes at most 30 s; systemd must not SIGKILL a drain in progress.
            Assert.That(Seconds(unit["TimeoutStopSec"].Single()), Is.GreaterThan(30));
        });
    }

    [Test]
    public void The_unit_runs_sandboxed_with_only_its_state_directory_writable()
    {
        var unit = UnitDirectives.Read(UnitPath);

        Assert.Multiple(() =>
        {
            Assert.That(unit["DynamicUser"], Is.EqualTo(new[] { "yes" }));
            Assert.That(unit["StateDirectory"], Is.EqualTo(new[] { "consul-xds-bridge" }));
            Assert.That(unit["ConfigurationDirectory"], Is.EqualTo(new[] { "consul-xds-bridge" }));
            Assert.That(unit["ProtectSystem"], Is.EqualTo(new[] { "strict" }));
            Assert.That(unit["NoNewPrivileges"], Is.EqualTo(new[] { "yes" }));
            Assert.That(unit["PrivateTmp"], Is.EqualTo(new[] { "yes" }));
            Assert.That(unit["CapabilityBoundingSet"], Is.EqualTo(new[] { "" }));
            Assert.That(unit.ContainsKey("MemoryDenyWriteExecute"), Is.False, "the .NET JIT needs writable executable memory");
        });
    }

    [Test]
    public void Every_bridge_variable_in_the_environment_example_is_a_setting()
    {
        // Lists and maps take one more segment: __0, __1, ... or __<name>.
        var known = SettingsReference.All().Select(s => s.EnvironmentVariable.Split("__<", 2)[0])
            .Select(v => v.EndsWith("__0", StringComparison.Ordinal) ? v[..^3] : v)
            .ToHashSet();
        var variables = File.ReadAllLines(Path.Combine(SystemdFolder, "consul-xds-bridge.env.example"))
            .Select(l => l.TrimStart('#').Trim())
            .Where(l => l.StartsWith("BRIDGE_", StringComparison.Ordinal) && l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)[0])
            .ToList();

        Assert.That(variables, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            foreach (var variable in variables)
            {
                var setting = variable.StartsWith("BRIDGE_Logging__LogLevel__", StringComparison.Ordinal)
                    || known.Contains(variable)
                    || known.Contains(variable[..variable.LastIndexOf("__", StringComparison.Ordinal)]);
                Assert.That(setting, Is.True, $"{variable} is not a setting");
            }
        });
    }

    private static double Seconds(string timespan) =>
        timespan.EndsWith("min", StringComparison.Ordinal) ? double.Parse(timespan[..^3], CultureInfo.InvariantCulture) * 60
        : double.Parse(timespan.TrimEnd('s'), CultureInfo.InvariantCulture);

    private static async Task<(int Code, string Output)> SystemdAnalyzeAsync(params string[] args)
    {
        var executable = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, "systemd-analyze"))
            .FirstOrDefault(File.Exists);
        if (executable is null)
        {
            Assert.Ignore("systemd-analyze is not installed here (scripts/test installs the systemd package when it is missing)");
        }

        var start = new ProcessStartInfo(executable!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>
    /// The unit as committed, in a temporary folder, with ExecStart pointing at the daemon built beside the tests:
    /// verify checks that the program exists, and /usr/bin/consul-xds-bridge is not installed here.
    /// </summary>
    private sealed class UnitCopy : IDisposable
    {
        private readonly DirectoryInfo _directory;

        private UnitCopy(DirectoryInfo directory, string path)
        {
            _directory = directory;
            Path = path;
        }

        public string Path { get; }

        public static UnitCopy Create()
        {
            var binary = System.IO.Path.Combine(AppContext.BaseDirectory, "consul-xds-bridge");
            Assert.That(File.Exists(binary), Is.True, $"no built daemon at {binary}");
            var directory = Directory.CreateTempSubdirectory("cxb-unit-");
            var path = System.IO.Path.Combine(directory.FullName, "consul-xds-bridge.service");
            var lines = File.ReadAllLines(UnitPath)
                .Select(l => l.StartsWith("ExecStart=", StringComparison.Ordinal) ? $"ExecStart={binary}" : l);
            File.WriteAllLines(path, lines);
            return new UnitCopy(directory, path);
        }

        public void Dispose() => _directory.Delete(recursive: true);
    }

    /// <summary>Directive name to its values, in order, across all sections (names do not repeat across sections here).</summary>
    private static class UnitDirectives
    {
        public static IReadOnlyDictionary<string, List<string>> Read(string path)
        {
            var directives = new Dictionary<string, List<string>>();
            foreach (var line in File.ReadAllLines(path).Select(l => l.Trim()))
            {
                if (line.Length == 0 || line[0] is '#' or ';' or '[')
                {
                    continue;
                }

                var (name, value) = (line.Split('=', 2)[0], line.Split('=', 2)[1]);
                if (!directives.TryGetValue(name, out var values))
                {
                    directives[name] = values = [];
                }

                values.Add(value);
            }

            return directives;
        }
    }
}
