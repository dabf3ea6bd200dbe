namespace Bridge.Tests.Ads;

/// <summary>
/// What a stream records of what its client holds: a map shared by every stream sent the same response, and the
/// stream's own differences from it. Whatever the stream records after sharing, it must read back as if it had
/// kept every entry itself, and the shared map must never change.
/// </summary>
public sealed class SubscriptionTests
{
    private static Dictionary<string, string> Shared() => new(StringComparer.Ordinal) { ["a"] = "1", ["b"] = "1", ["c"] = "1" };

    [Test]
    public void Differences_from_a_shared_map_read_back_as_recorded_and_leave_the_map_untouched()
    {
        var shared = Shared();
        var subscription = new Subscription(TypeUrls.ClusterLoadAssignment);
        subscription.HoldExactly(shared);

        subscription.Sent("a", "2");
        subscription.Forget("b");
        subscription.MustResend("c");
        subscription.Sent("d", "1");
        subscription.ToldAbsent("e");

        Assert.Multiple(() =>
        {
            Assert.That(shared, Is.EqualTo(Shared()), "the shared map is never written");
            Assert.That(subscription.Holds("a", "2"), Is.True);
            Assert.That(subscription.Holds("a", "1"), Is.False);
            Assert.That(subscription.Tracks("b"), Is.False, "forgotten although the shared map holds it");
            Assert.That(subscription.HoldsSomething("c") && !subscription.Holds("c", "1"), Is.True, "owed again");
            Assert.That(subscription.Holds("d", "1"), Is.True);
            Assert.That(subscription.WasToldAbsent("e") && !subscription.HoldsSomething("e"), Is.True);
            Assert.That(subscription.HeldCount, Is.EqualTo(4), "a, c, d, e");
            Assert.That(subscription.HeldNames, Is.EquivalentTo(new[] { "a", "c", "d", "e" }));
            Assert.That(subscription.HeldVersions(), Is.EqualTo(new Dictionary<string, string> { ["a"] = "2", ["d"] = "1" }));
        });
    }

    [Test]
    public void Returning_to_what_the_shared_map_says_and_forgetting_everything_count_exactly()
    {
        var subscription = new Subscription(TypeUrls.Cluster);
        subscription.HoldExactly(Shared());
        subscription.Sent("a", "2");
        subscription.Sent("a", "1");
        subscription.Forget("b");
        subscription.Sent("b", "1");
        subscription.Forget("zz");

        Assert.Multiple(() =>
        {
            Assert.That(subscription.HeldCount, Is.EqualTo(3));
            Assert.That(subscription.HeldVersions(), Is.EqualTo(Shared()));
        });

        subscription.ForgetAll();
        Assert.Multiple(() =>
        {
            Assert.That(subscription.HeldCount, Is.Zero);
            Assert.That(subscription.Tracks("a"), Is.False);
            Assert.That(subscription.HeldNames, Is.Empty);
        });
    }
}
