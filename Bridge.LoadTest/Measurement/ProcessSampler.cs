namespace Bridge.LoadTest.Measurement;

/// <summary>One reading of a process from /proc.</summary>
/// <param name="Timestamp">Stopwatch timestamp of the reading.</param>
/// <param name="CpuSeconds">User plus system CPU time so far.</param>
/// <param name="RssBytes">Resident set size now (<c>VmRSS</c>).</param>
/// <param name="PeakRssBytes">Highest resident set size so far (<c>VmHWM</c>).</param>
/// <param name="Threads">Threads now.</param>
internal readonly record struct ProcessSample(long Timestamp, double CpuSeconds, long RssBytes, long PeakRssBytes, int Threads)
{
    /// <summary>CPU cores used on average between <paramref name="earlier"/> and this sample.</summary>
    public double CoresSince(ProcessSample earlier)
    {
        var wall = Stopwatch.GetElapsedTime(earlier.Timestamp, Timestamp).TotalSeconds;
        return wall > 0 ? (CpuSeconds - earlier.CpuSeconds) / wall : 0;
    }
}

/// <summary>Reads CPU time from <c>/proc/&lt;pid&gt;/stat</c> and memory from <c>/proc/&lt;pid&gt;/status</c>.</summary>
internal sealed class ProcessSampler(int pid)
{
    private static readonly double TicksPerSecond = ReadClockTicks();

    public int Pid { get; } = pid;

    public static ProcessSampler Self { get; } = new(Environment.ProcessId);

    public ProcessSample Sample()
    {
        var timestamp = Stopwatch.GetTimestamp();
        var stat = File.ReadAllText($"/proc/{Pid}/stat");

        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        long rss = 0, hwm = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = Kilobytes(line);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line[8..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return new ProcessSample(timestamp, (utime + stime) / TicksPerSecond, rss, hwm, threads);
    }

    private static long Kilobytes(string line) =>
        1024 * long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    private static double ReadClockTicks()
    {
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true });
            var text = getconf!.StandardOutput.ReadToEnd().Trim();
            getconf.WaitForExit();
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ticks) && ticks > 0 ? ticks : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}

/// <summary>
/// Busy CPU of the whole machine from <c>/proc/stat</c>: the runs share two cores with whatever else runs there
/// (builds and tests of other worktrees), so every result says how much CPU others took while it was measured.
/// </summary>
internal readonly record struct MachineSample(long Timestamp, double BusySeconds, double TotalSeconds)
{
    private static readonly double TicksPerSecond = 100;

    public static MachineSample Take()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // cpu user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
        long total = 0;
        for (var i = 1; i < Math.Min(fields.Length, 9); i++)
        {
            total += long.Parse(fields[i], CultureInfo.InvariantCulture);
        }

        var idle = long.Parse(fields[4], CultureInfo.InvariantCulture) + long.Parse(fields[5], CultureInfo.InvariantCulture);
        return new MachineSample(Stopwatch.GetTimestamp(), (total - idle) / TicksPerSecond, total / TicksPerSecond);
    }

    /// <summary>Cores busy on average since <paramref name="earlier"/>, out of <see cref="Environment.ProcessorCount"/>.</summary>
    public double CoresSince(MachineSample earlier)
    {
        var total = TotalSeconds - earlier.TotalSeconds;
        return total > 0 ? (BusySeconds - earlier.BusySeconds) / total * Environment.ProcessorCount : 0;
    }
}
