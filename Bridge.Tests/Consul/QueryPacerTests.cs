using Bridge.Core.Consul;

namespace Bridge.Tests.Consul;

public sealed class QueryPacerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly TimerWatchingClock _time = new();

    [Test]
    public void Burst_of_queries_goes_through_without_waiting()
    {
        var pacer = new QueryPacer(3, Interval, _time);

        var waits = Enumerable.Range(0, 3).Select(_ => pacer.WaitAsync(CancellationToken.None)).ToList();

        Assert.That(waits.Select(w => w.IsCompletedSuccessfully), Is.All.True);
    }

    [Test]
    public void Query_after_the_burst_waits_one_interval()
    {
        var pacer = new QueryPacer(3, Interval, _time);
        Drain(pacer, 3);

        var fourth = pacer.WaitAsync(CancellationToken.None);
        var pendingAtStart = !fourth.IsCompleted;
        _time.Advance(Interval - TimeSpan.FromMilliseconds(1));
        var pendingJustBefore = !fourth.IsCompleted;
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Multiple(() =>
        {
            Assert.That(pendingAtStart, Is.True);
            Assert.That(pendingJustBefore, Is.True);
            Assert.That(fourth.IsCompletedSuccessfully, Is.True);
        });
    }

    [Test]
    public void Sustained_queries_are_paced_at_one_per_interval()
    {
        var pacer = new QueryPacer(2, Interval, _time);
        Drain(pacer, 2);

        for (var i = 0; i < 5; i++)
        {
            var wait = pacer.WaitAsync(CancellationToken.None);
            Assert.That(wait.IsCompleted, Is.False, $"paced query {i} went through early");
            _time.Advance(Interval);
            Assert.That(wait.IsCompletedSuccessfully, Is.True, $"paced query {i} still waiting after one interval");
        }
    }

    [Test]
    public void Idle_time_refills_the_burst_but_never_beyond_it()
    {
        var pacer = new QueryPacer(3, Interval, _time);
        Drain(pacer, 3);

        _time.Advance(Interval * 50);
        var burst = Enumerable.Range(0, 3).Select(_ => pacer.WaitAsync(CancellationToken.None)).ToList();
        var next = pacer.WaitAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(burst.Select(w => w.IsCompletedSuccessfully), Is.All.True);
            Assert.That(next.IsCompleted, Is.False);
        });
    }

    [Test]
    public void Partial_idle_time_shortens_the_next_wait()
    {
        var pacer = new QueryPacer(1, Interval, _time);
        Drain(pacer, 1);
        _time.Advance(Interval * 0.6);

        var wait = pacer.WaitAsync(CancellationToken.None);
        var pendingAtStart = !wait.IsCompleted;
        _time.Advance(Interval * 0.4);

        Assert.Multiple(() =>
        {
            Assert.That(pendingAtStart, Is.True);
            Assert.That(wait.IsCompletedSuccessfully, Is.True, "60% of a token was already earned; only the remaining 40% of the interval should be waited");
        });
    }

    [Test]
    public void Burst_below_one_still_lets_one_query_through()
    {
        var pacer = new QueryPacer(0, Interval, _time);

        var first = pacer.WaitAsync(CancellationToken.None);
        var second = pacer.WaitAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.IsCompletedSuccessfully, Is.True);
            Assert.That(second.IsCompleted, Is.False);
        });
    }

    [Test]
    public void Zero_interval_never_paces()
    {
        var pacer = new QueryPacer(1, TimeSpan.Zero, _time);

        var waits = Enumerable.Range(0, 100).Select(_ => pacer.WaitAsync(CancellationToken.None)).ToList();

        Assert.That(waits.Select(w => w.IsCompletedSuccessfully), Is.All.True);
    }

    [Test]
    public void Paced_wait_ends_when_cancelled()
    {
        var pacer = new QueryPacer(1, Interval, _time);
        Drain(pacer, 1);
        using var cts = new CancellationTokenSource();

        var wait = pacer.WaitAsync(cts.Token);
        cts.Cancel();

        Assert.That(wait.IsCanceled, Is.True);
    }

    private static void Drain(QueryPacer pacer, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.That(pacer.WaitAsync(CancellationToken.None).IsCompletedSuccessfully, Is.True, "setup: the burst should be available");
        }
    }
}
