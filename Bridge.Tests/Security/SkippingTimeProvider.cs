namespace Bridge.Tests.Security;

/// <summary>The system clock, plus whatever a test skipped ahead; timers keep running in real time.</summary>
internal sealed class SkippingTimeProvider : TimeProvider
{
    private long _skippedTicks;

    public void Skip(TimeSpan interval) => Interlocked.Add(ref _skippedTicks, interval.Ticks);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _skippedTicks));

    public override long GetTimestamp() =>
        base.GetTimestamp() + (long)(TimeSpan.FromTicks(Interlocked.Read(ref _skippedTicks)).TotalSeconds * TimestampFrequency);
}
