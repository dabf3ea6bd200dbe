namespace Bridge.LoadTest.Measurement;

/// <summary>
/// Samples the bridge and the harness about once a second for the whole run and prints a progress line every few
/// seconds, so a long run shows what it is doing and the report shows where CPU and memory went over time.
/// </summary>
internal sealed class Timeline : IAsyncDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly List<TimelinePoint> _points = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<string> _print;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly Task _loop;
    private ProcessSampler? _bridge;
    private ProcessSample? _lastBridge;
    private ProcessSample _lastHarness = ProcessSampler.Self.Sample();
    private MachineSample _lastMachine = MachineSample.Take();
    private string _stage = "start";
    private Func<string>? _status;
    private Func<(int Streams, long Responses)>? _fleet;

    public Timeline(Action<string> print)
    {
        _print = print;
        _loop = RunAsync();
    }

    public IReadOnlyList<TimelinePoint> Points
    {
        get
        {
            lock (_points)
            {
                return [.. _points];
            }
        }
    }

    /// <summary>What the run is doing now, and a function giving progress details for the printed line.</summary>
    public void Stage(string stage, Func<string>? status = null)
    {
        lock (_points)
        {
            _stage = stage;
            _status = status;
        }

        _print($"-- {stage}");
    }

    public void Watch(ProcessSampler? bridge)
    {
        lock (_points)
        {
            _bridge = bridge;
            _lastBridge = bridge?.Sample();
        }
    }

    public void WatchFleet(Func<(int Streams, long Responses)>? fleet)
    {
        lock (_points)
        {
            _fleet = fleet;
        }
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Period);
        var tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Sample(++tick % 5 == 0);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Sample(bool print)
    {
        lock (_points)
        {
            var harness = ProcessSampler.Self.Sample();
            var harnessCores = harness.CoresSince(_lastHarness);
            _lastHarness = harness;
            var machine = MachineSample.Take();
            var machineCores = machine.CoresSince(_lastMachine);
            _lastMachine = machine;
            double bridgeCores = 0;
            long bridgeRss = 0;
            if (_bridge is not null)
            {
                try
                {
                    var bridge = _bridge.Sample();
                    bridgeCores = _lastBridge is { } last ? bridge.CoresSince(last) : 0;
                    bridgeRss = bridge.RssBytes;
                    _lastBridge = bridge;
                }
                catch (IOException)
                {
                    // The bridge exited between samples.
                }
            }

            var (streams, responses) = _fleet?.Invoke() ?? (0, 0);
            var seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
            var otherCores = Math.Max(0, machineCores - bridgeCores - harnessCores);
            _points.Add(new TimelinePoint(Math.Round(seconds, 1), _stage, Math.Round(bridgeCores, 3), Math.Round(harnessCores, 3), Math.Round(otherCores, 3),
                bridgeRss, harness.RssBytes, streams, responses, Math.Round(GC.GetTotalPauseDuration().TotalSeconds, 3)));
            if (print)
            {
                var detail = _status?.Invoke();
                _print(string.Create(CultureInfo.InvariantCulture,
                    $"   {seconds,6:0}s {_stage}: bridge {bridgeCores:0.00} cores {bridgeRss / 1048576.0:0} MiB | harness {harnessCores:0.00} cores {harness.RssBytes / 1048576.0:0} MiB | others {otherCores:0.00} cores | {streams} streams{(detail is null ? "" : " | " + detail)}"));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
