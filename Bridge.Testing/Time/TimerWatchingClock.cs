using Microsoft.Extensions.Time.Testing;

namespace Bridge.Testing.Time;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells when the code under test arms a timer on it (a
/// <c>Task.Delay</c>, a <c>WaitAsync</c> timeout, a <c>CancellationTokenSource</c> deadline): the moment it is
/// waiting on the clock. A test awaits that, then advances, and so never advances before the wait exists nor
/// sleeps to give it time.
/// </summary>
public sealed class TimerWatchingClock : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<WatchedTimer> _armed = [];
    private readonly List<(Func<TimeSpan, bool> Due, TaskCompletionSource<TimeSpan> Armed)> _waiters = [];

    /// <summary>A clock that starts at <paramref name="start"/>, or at FakeTimeProvider's own epoch.</summary>
    /// <param name="start">The time it reads first.</param>
    public TimerWatchingClock(DateTimeOffset? start = null)
    {
        Fake = start is { } at ? new FakeTimeProvider(at) : new FakeTimeProvider();
    }

    /// <summary>The clock underneath, moved by <see cref="Advance"/>.</summary>
    public FakeTimeProvider Fake { get; }

    /// <inheritdoc />
    public override long TimestampFrequency => Fake.TimestampFrequency;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    /// <inheritdoc />
    public override long GetTimestamp() => Fake.GetTimestamp();

    /// <summary>Moves the clock forward, firing every timer that falls due on the way, in order.</summary>
    /// <param name="by">How far.</param>
    public void Advance(TimeSpan by) => Fake.Advance(by);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new WatchedTimer(this, Fake.CreateTimer(callback, state, dueTime, period));
        timer.Armed(dueTime);
        return timer;
    }

    /// <summary>Completes once a timer is armed to fire exactly <paramref name="after"/> from now (one armed already counts).</summary>
    /// <param name="after">The wait the code under test is expected to start.</param>
    /// <param name="timeout">How long to wait for it, in real time.</param>
    /// <returns>Completes when such a timer is armed.</returns>
    public Task WaitForTimerAsync(TimeSpan after, TimeSpan? timeout = null) =>
        WaitForTimerAsync(due => due == after, timeout);

    /// <summary>Completes once a timer is armed whose time to fire from now satisfies <paramref name="due"/>, with that time.</summary>
    /// <param name="due">What the timer's due time must satisfy.</param>
    /// <param name="timeout">How long to wait for it, in real time.</param>
    /// <returns>The armed timer's time to fire, counted from now.</returns>
    public Task<TimeSpan> WaitForTimerAsync(Func<TimeSpan, bool> due, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(due);
        lock (_gate)
        {
            var now = Fake.GetUtcNow();
            foreach (var timer in _armed)
            {
                if (timer.DueAt is { } at && at > now && due(at - now))
                {
                    return Task.FromResult(at - now);
                }
            }

            var armed = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((due, armed));
            return armed.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10));
        }
    }

    private void Armed(WatchedTimer timer, TimeSpan dueTime)
    {
        List<(TaskCompletionSource<TimeSpan> Armed, TimeSpan Due)> released = [];
        lock (_gate)
        {
            _armed.Remove(timer);
            timer.DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : Fake.GetUtcNow() + dueTime;
            if (timer.DueAt is null)
            {
                return;
            }

            _armed.Add(timer);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Due(dueTime))
                {
                    released.Add((_waiters[i].Armed, dueTime));
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var (armed, due) in released)
        {
            armed.TrySetResult(due);
        }
    }

    private void Disarmed(WatchedTimer timer)
    {
        lock (_gate)
        {
            _armed.Remove(timer);
        }
    }

    private sealed class WatchedTimer(TimerWatchingClock clock, ITimer inner) : ITimer
    {
        public DateTimeOffset? DueAt { get; set; }

        public void Armed(TimeSpan dueTime) => clock.Armed(this, dueTime);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = inner.Change(dueTime, period);
            Armed(dueTime);
            return changed;
        }

        public void Dispose()
        {
            clock.Disarmed(this);
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            clock.Disarmed(this);
            return inner.DisposeAsync();
        }
    }
}
