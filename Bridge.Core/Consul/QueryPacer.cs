namespace Bridge.Core.Consul;

/// <summary>
/// A token bucket that lets a watch loop answer a few changes at once and then paces it, so a loop that
/// keeps getting instant answers (a churning service, or an index bug) cannot turn into a busy loop.
/// </summary>
internal sealed class QueryPacer
{
    private readonly int _burst;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _lastRefill;

    public QueryPacer(int burst, TimeSpan interval, TimeProvider time)
    {
        _burst = Math.Max(1, burst);
        _interval = interval;
        _time = time;
        _tokens = _burst;
        _lastRefill = time.GetTimestamp();
    }

    public Task WaitAsync(CancellationToken ct)
    {
        if (_interval <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        var now = _time.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_lastRefill, now) / _interval));
        _lastRefill = now;
        if (_tokens >= 1)
        {
            _tokens -= 1;
            return Task.CompletedTask;
        }

        var delay = (1 - _tokens) * _interval;
        _tokens = 0;
        _lastRefill = now + (long)(delay.TotalSeconds * _time.TimestampFrequency);
        return Task.Delay(delay, _time, ct);
    }
}
