using Bridge.Core.Consul;

namespace Bridge.Tests.Consul;

/// <summary>The blocking-query index rules of the reference, §6 cases 1 to 4, and what follows a failed query.</summary>
public sealed class IndexTrackerTests
{
    private static readonly UInt128 BodyA = 0xA;
    private static readonly UInt128 BodyB = 0xB;

    [Test]
    public void Fresh_tracker_reads_without_blocking()
    {
        var tracker = new IndexTracker();

        Assert.That(tracker.NextIndex, Is.Zero);
    }

    [Test]
    public void First_answer_is_an_event_and_its_index_is_blocked_on_next()
    {
        var tracker = new IndexTracker();

        var changed = tracker.Observe(42, BodyA);

        Assert.Multiple(() =>
        {
            Assert.That(changed, Is.True);
            Assert.That(tracker.NextIndex, Is.EqualTo(42));
        });
    }

    [Test]
    public void Same_index_and_same_body_is_a_timeout_with_no_event_and_the_same_index()
    {
        var tracker = new IndexTracker();
        tracker.Observe(42, BodyA);

        var changed = tracker.Observe(42, BodyA);

        Assert.Multiple(() =>
        {
            Assert.That(changed, Is.False);
            Assert.That(tracker.NextIndex, Is.EqualTo(42));
        });
    }

    [Test]
    public void New_index_with_identical_body_raises_no_event_but_adopts_the_index()
    {
        var tracker = new IndexTracker();
        tracker.Observe(42, BodyA);

        var changed = tracker.Observe(57, BodyA);

        Assert.Multiple(() =>
        {
            Assert.That(changed, Is.False);
            Assert.That(tracker.NextIndex, Is.EqualTo(57));
        });
    }

    [Test]
    public void New_body_under_a_new_index_raises_an_event()
    {
        var tracker = new IndexTracker();
        tracker.Observe(42, BodyA);

        var changed = tracker.Observe(57, BodyB);

        Assert.Multiple(() =>
        {
            Assert.That(changed, Is.True);
            Assert.That(tracker.NextIndex, Is.EqualTo(57));
        });
    }

    [Test]
    public void Index_going_backwards_resets_to_a_full_read_then_adopts_the_lower_index()
    {
        var tracker = new IndexTracker();
        tracker.Observe(100, BodyA);

        tracker.Observe(30, BodyA);
        var afterBackwards = tracker.NextIndex;
        var changedOnReRead = tracker.Observe(30, BodyA);

        Assert.Multiple(() =>
        {
            Assert.That(afterBackwards, Is.Zero, "an index lower than the last one must be followed by a non-blocking full read");
            Assert.That(changedOnReRead, Is.False, "the re-read returned the body already known");
            Assert.That(tracker.NextIndex, Is.EqualTo(30), "after the full read the lower index is the one to block on");
        });
    }

    [Test]
    public void Index_going_backwards_with_a_new_body_raises_an_event()
    {
        var tracker = new IndexTracker();
        tracker.Observe(100, BodyA);

        var changed = tracker.Observe(30, BodyB);

        Assert.Multiple(() =>
        {
            Assert.That(changed, Is.True);
            Assert.That(tracker.NextIndex, Is.Zero);
        });
    }

    [Test]
    public void Index_zero_on_every_answer_is_clamped_to_one_so_the_loop_keeps_blocking()
    {
        var tracker = new IndexTracker();
        var sent = new List<ulong>();

        for (var i = 0; i < 5; i++)
        {
            tracker.Observe(0, BodyA);
            sent.Add(tracker.NextIndex);
        }

        Assert.That(sent, Is.All.EqualTo(1UL));
    }

    [Test]
    public void Index_zero_after_a_higher_index_resets_once_then_blocks_on_one()
    {
        var tracker = new IndexTracker();
        tracker.Observe(100, BodyA);
        var sent = new List<ulong>();

        for (var i = 0; i < 3; i++)
        {
            tracker.Observe(0, BodyA);
            sent.Add(tracker.NextIndex);
        }

        Assert.That(sent, Is.EqualTo(new ulong[] { 0, 1, 1 }));
    }

    [Test]
    public void Reset_after_an_error_reads_without_blocking()
    {
        var tracker = new IndexTracker();
        tracker.Observe(42, BodyA);

        tracker.Reset();

        Assert.That(tracker.NextIndex, Is.Zero);
    }

    [Test]
    public void Reset_keeps_the_last_body_so_an_unchanged_answer_after_recovery_raises_no_event()
    {
        var tracker = new IndexTracker();
        tracker.Observe(42, BodyA);
        tracker.Reset();

        var changed = tracker.Observe(42, BodyA);

        Assert.Multiple(() =>
        {
            Assert.That(changed, Is.False, "the last good state is already known; recovering must not re-announce it");
            Assert.That(tracker.NextIndex, Is.EqualTo(42));
        });
    }
}
