namespace Bridge.Tests.Xds;

/// <summary>A published change wakes the streams it concerns, and only those.</summary>
public sealed class WakeIndexTests
{
    private static Dictionary<string, HashSet<string>> Changed(string typeUrl, params string[] names) =>
        new() { [typeUrl] = new HashSet<string>(names, StringComparer.Ordinal) };

    private static HashSet<string> Keys(params string[] keys) => new(keys, StringComparer.Ordinal);

    /// <summary>Whether the signal was set since it was last consumed (a set with no waiter is kept as pending).</summary>
    private static bool WasWoken(WakeSignal signal) => signal.IsPending && signal.WaitAsync().IsCompleted;

    [Test]
    public void A_change_wakes_the_holders_of_its_name_and_of_its_type_wildcard_only()
    {
        var index = new WakeIndex();
        var named = new WakeSignal();
        var wildcard = new WakeSignal();
        using var namedRegistration = index.Register(named);
        using var wildcardRegistration = index.Register(wildcard);
        namedRegistration.Update(Keys("api"));
        wildcardRegistration.Update(Keys(WakeIndex.WildcardKey(TypeUrls.Cluster)));

        index.Wake(Changed(TypeUrls.ClusterLoadAssignment, "web"));
        Assert.Multiple(() =>
        {
            Assert.That(WasWoken(named), Is.False, "an assignment of another service");
            Assert.That(WasWoken(wildcard), Is.False, "a type the wildcard does not cover");
        });

        index.Wake(Changed(TypeUrls.Cluster, "web"));
        Assert.Multiple(() =>
        {
            Assert.That(WasWoken(named), Is.False, "a cluster of another service");
            Assert.That(WasWoken(wildcard), Is.True, "any cluster, under a cluster wildcard");
        });

        index.Wake(Changed(TypeUrls.ClusterLoadAssignment, "api"));
        Assert.That(WasWoken(named), Is.True);
    }

    [Test]
    public async Task A_waiting_loop_is_woken_and_a_set_without_a_waiter_is_kept()
    {
        var signal = new WakeSignal();
        var waiting = signal.WaitAsync();
        signal.Set();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.That(signal.IsPending, Is.False, "taken by the waiter");
        signal.Set();
        Assert.That(signal.IsPending, Is.True, "kept for the next wait");
    }

    [Test]
    public void A_wake_while_the_stream_is_busy_is_kept_for_its_next_wait_and_many_wakes_count_once()
    {
        var signal = new WakeSignal();
        signal.Set();
        signal.Set();

        Assert.That(signal.WaitAsync().IsCompleted, Is.True);
        Assert.That(signal.WaitAsync().IsCompleted, Is.False);
    }

    [Test]
    public void New_keys_replace_old_ones_and_a_closed_stream_is_never_woken()
    {
        var index = new WakeIndex();
        var signal = new WakeSignal();
        var registration = index.Register(signal);
        registration.Update(Keys("api", "web"));
        registration.Update(Keys("web", "db"));
        Assert.Multiple(() =>
        {
            Assert.That(index.CountFor("api"), Is.Zero);
            Assert.That(index.CountFor("web"), Is.EqualTo(1));
            Assert.That(index.CountFor("db"), Is.EqualTo(1));
        });

        index.Wake(Changed(TypeUrls.Cluster, "api"));
        Assert.That(WasWoken(signal), Is.False);

        registration.Dispose();
        index.Wake(Changed(TypeUrls.Cluster, "web"));
        index.WakeAll();
        Assert.Multiple(() =>
        {
            Assert.That(WasWoken(signal), Is.False);
            Assert.That(index.Count, Is.Zero);
            Assert.That(index.CountFor("web"), Is.Zero);
        });
    }

    [Test]
    public void WakeAll_reaches_streams_that_have_stated_no_interest_yet()
    {
        var index = new WakeIndex();
        var signal = new WakeSignal();
        using var registration = index.Register(signal);

        index.WakeAll();

        Assert.That(WasWoken(signal), Is.True);
    }
}
