using Bridge.Core.Consul;

namespace Bridge.Tests.Consul;

public sealed class QuerySlotsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Test]
    public async Task Growing_the_slots_lets_waiting_queries_in_at_once()
    {
        var slots = new QuerySlots(1);
        await slots.WaitAsync(CancellationToken.None);
        var waiting = slots.WaitAsync(CancellationToken.None);
        Assert.That(waiting.IsCompleted, Is.False);

        slots.Resize(2);

        await waiting.WaitAsync(Patience);
        Assert.That(slots.Capacity, Is.EqualTo(2));
    }

    [Test]
    public async Task Shrinking_the_slots_takes_free_ones_at_once_and_busy_ones_as_their_queries_finish()
    {
        var slots = new QuerySlots(4);
        await slots.WaitAsync(CancellationToken.None);
        await slots.WaitAsync(CancellationToken.None);
        await slots.WaitAsync(CancellationToken.None);

        slots.Resize(1);
        var waiting = slots.WaitAsync(CancellationToken.None);
        slots.Release();
        slots.Release();
        Assert.That(waiting.IsCompleted, Is.False, "two of the three running queries gave their slots up");

        slots.Release();
        await waiting.WaitAsync(Patience);
        var next = slots.WaitAsync(CancellationToken.None);
        Assert.That(next.IsCompleted, Is.False, "one slot, and it is taken");
    }

    [Test]
    public void Waits_shrink_only_when_queries_outnumber_slots_and_never_below_the_floor()
    {
        var slots = new QuerySlots(100);
        var wait = TimeSpan.FromMinutes(5);

        Assert.Multiple(() =>
        {
            Assert.That(slots.SharedWait(wait, 100), Is.EqualTo(wait));
            Assert.That(slots.SharedWait(wait, 200), Is.EqualTo(TimeSpan.FromSeconds(150)));
            Assert.That(slots.SharedWait(wait, 100_000), Is.EqualTo(QuerySlots.MinSharedWait));
            Assert.That(slots.SharedWait(TimeSpan.FromSeconds(2), 100_000), Is.EqualTo(TimeSpan.FromSeconds(2)), "never longer than the wait itself");
        });
    }

    [Test]
    public void The_worst_case_delay_is_zero_with_a_slot_per_query_and_whole_turns_of_the_shared_wait_beyond()
    {
        var slots = new QuerySlots(128);
        var wait = TimeSpan.FromMinutes(5);

        // 301 queries on 128 slots: 173 wait, two turns of 300 x 128 / 301 s (plus Consul's sixteenth) each.
        var shared = wait * 128 / 301;
        Assert.Multiple(() =>
        {
            Assert.That(slots.WorstCaseDelay(wait, 128), Is.EqualTo(TimeSpan.Zero));
            Assert.That(slots.WorstCaseDelay(wait, 301), Is.EqualTo(shared * 17 / 16 * 2));
        });
    }

    [Test]
    public void Demand_changes_are_reported_once_each()
    {
        var slots = new QuerySlots(10);
        var seen = new List<int>();
        slots.DemandChanged += seen.Add;

        slots.ReportDemand(5);
        slots.ReportDemand(5);
        slots.ReportDemand(7);

        Assert.That(seen, Is.EqualTo(new[] { 5, 7 }));
        Assert.That(slots.Demand, Is.EqualTo(7));
    }
}
