namespace Bridge.LoadTest.Measurement;

/// <summary>
/// Waits for the machine to be quiet before a run: other worktrees build and test on the same two cores, and a run
/// measured under their load says more about them than about the bridge.
/// </summary>
internal static class MachineQuiet
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Waits, up to <paramref name="maxWait"/>, for a <see cref="Window"/> in which other processes use less than
    /// <paramref name="threshold"/> cores. Returns what they used in the last window, quiet or not.
    /// </summary>
    public static async Task<double> WaitAsync(TimeSpan maxWait, double threshold, Action<string> print, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var machine = MachineSample.Take();
            var self = ProcessSampler.Self.Sample();
            await Task.Delay(Window, ct).ConfigureAwait(false);
            var others = Math.Max(0, MachineSample.Take().CoresSince(machine) - ProcessSampler.Self.Sample().CoresSince(self));
            if (others < threshold || clock.Elapsed >= maxWait)
            {
                if (others >= threshold)
                {
                    print(string.Create(CultureInfo.InvariantCulture, $"!! the machine is still busy ({others:0.00} cores used by other processes); running anyway"));
                }

                return others;
            }

            print(string.Create(CultureInfo.InvariantCulture,
                $"   waiting for a quiet machine: other processes use {others:0.00} cores (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})"));
        }
    }
}
