using Bridge.DevAgent.Faults;

namespace Bridge.Tests.Daemon;

/// <summary>
/// The sd_notify protocol as systemd sees it (Type=notify, WatchdogSec=), from the real daemon process: READY only
/// once the first full catalog is served, watchdog pings at half of WATCHDOG_USEC.
/// </summary>
[TestFixture]
public sealed class SystemdNotificationsTests
{
    [TestCase(BridgeParent.TestHost)]
    [TestCase(BridgeParent.Systemd)]
    public async Task Ready_is_sent_only_once_the_catalog_is_synced_and_readyz_agrees(BridgeParent parent)
    {
        // Consul answers every query with an error until the fault is cleared: the catalog cannot sync.
        await using var bridge = await BridgeUnderTest.StartAsync(parent, prepare: agent =>
            agent.Faults.Apply(new FaultSettings { Error = new ErrorFault { Kind = ErrorFaultKind.NoLeader } }));
        await bridge.Daemon.WaitForLineAsync(LogLines.Listening(bridge.AdminPort), BridgeUnderTest.StartTimeout, "saying the admin port listens");
        await bridge.Daemon.WaitForLineAsync(LogLines.Event(1001), TimeSpan.FromSeconds(30), "with event 1001 (a Consul query failed)");

        var (startingCode, starting) = await bridge.ReadyzAsync();
        var early = bridge.Notify.TakePending();
        Assert.Multiple(() =>
        {
            Assert.That(startingCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(starting.Status, Is.EqualTo("starting"));
            Assert.That(early.Where(m => m.Has("READY=1")), Is.Empty,
                $"READY=1 was sent before the catalog synced (systemd would start dependent units against an empty bridge); received: {bridge.Notify.Describe()}");
        });

        bridge.Agent.Faults.Clear();
        var ready = await bridge.Notify.WaitForAsync(m => m.Has("READY=1"), TimeSpan.FromSeconds(30), "with READY=1");
        var (readyCode, readiness) = await bridge.ReadyzAsync();

        // The routing reads (config entries, the datacenter) failed with the rest and retry on their own backoff: if
        // one has not answered yet, the bridge serves and says it is degraded for that reason alone.
        var routingPending = readiness.Status == "degraded"
            && readiness.Reasons.All(r => r.StartsWith("Consul does not answer", StringComparison.Ordinal) && r.Contains("routing reads", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(readyCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(readiness.Status == "ready" || routingPending, Is.True, $"{readiness.Status}: {string.Join("; ", readiness.Reasons)}");
            Assert.That(readiness.Services, Is.EqualTo(1));
            Assert.That(readiness.Instances, Is.EqualTo(2));
            Assert.That(ready.Status, Does.StartWith("ready").Or.StartWith("degraded"), "READY=1 says the bridge serves");
            Assert.That(bridge.Notify.Received.Count(m => m.Has("READY=1")), Is.EqualTo(1), bridge.Notify.Describe());
        });
    }

    [Test]
    public async Task Watchdog_is_pinged_at_half_of_watchdog_usec()
    {
        var watchdog = TimeSpan.FromSeconds(2);
        await using var bridge = await BridgeUnderTest.StartAsync(BridgeParent.TestHost, watchdog);
        await bridge.Notify.WaitForAsync(m => m.Has("READY=1"), BridgeUnderTest.StartTimeout, "with READY=1");

        var first = await bridge.Notify.WaitForAsync(m => m.Has("WATCHDOG=1"), watchdog, "with WATCHDOG=1");
        var second = await bridge.Notify.WaitForAsync(m => m.Has("WATCHDOG=1"), watchdog, "with a second WATCHDOG=1");
        var third = await bridge.Notify.WaitForAsync(m => m.Has("WATCHDOG=1"), watchdog, "with a third WATCHDOG=1");

        // systemd kills the service when a ping is later than WATCHDOG_USEC; pinging at half leaves room for a slow
        // tick. A late tick can be followed closely by the next, so the pace is judged over two intervals.
        Assert.Multiple(() =>
        {
            Assert.That(second.ReceivedAt - first.ReceivedAt, Is.LessThan(watchdog));
            Assert.That(third.ReceivedAt - second.ReceivedAt, Is.LessThan(watchdog));
            Assert.That(third.ReceivedAt - first.ReceivedAt, Is.GreaterThanOrEqualTo(watchdog / 2), "pings far more often than asked");
            Assert.That(third.Status, Is.EqualTo("ready"));
        });
    }

    [Test]
    public async Task No_watchdog_pings_when_systemd_asks_for_none()
    {
        await using var bridge = await BridgeUnderTest.StartAsync(BridgeParent.TestHost);
        await bridge.Notify.WaitForAsync(m => m.Has("READY=1"), BridgeUnderTest.StartTimeout, "with READY=1");

        Assert.That(bridge.Notify.Received.Where(m => m.Has("WATCHDOG=1")), Is.Empty);
    }
}
