using Bridge.Core.Consul;
using static Bridge.Tests.Catalog.Entries;

namespace Bridge.Tests.Catalog;

[TestFixture]
public sealed class CatalogCoalescingTests
{
    [Test]
    public async Task First_change_after_a_quiet_spell_is_published_alone_and_a_burst_is_merged_into_one_publish()
    {
        await using var run = CoalescingRun.Start(quietPeriod: TimeSpan.FromSeconds(2), maxDelay: TimeSpan.FromSeconds(10));
        var (events, published, cts) = (run.Events.Writer, run.Published.Reader, run.Cancellation);
        var first = await run.FirstAsync();
        Assert.That(first.Services["web"].Instances.Single().Port, Is.EqualTo(1), "the first change goes out at once");

        // A flapping service: five answers within the quiet period of each other. Latest wins, published once.
        for (var port = 2; port <= 6; port++)
        {
            events.TryWrite(new ServiceEntriesObserved("web", (ulong)(port + 1), [Entry("n1", "web-1", port: port)]));
        }

        var merged = await published.ReadAsync(cts.Token);
        // A change after the burst, published at once after its quiet spell: another publish of the burst would come before it.
        events.TryWrite(new ServiceEntriesObserved("web", 8, [Entry("n1", "web-1", port: 7)]));
        var after = await published.ReadAsync(cts.Token);
        Assert.Multiple(() =>
        {
            Assert.That(merged.Services["web"].Instances.Single().Port, Is.EqualTo(6), "the latest answer of the burst wins");
            Assert.That(merged.Generation, Is.EqualTo(first.Generation + 1), "the burst was published as one generation");
            Assert.That(after.Services["web"].Instances.Single().Port, Is.EqualTo(7), "nothing else was published for the burst");
            Assert.That(after.Generation, Is.EqualTo(merged.Generation + 1));
        });

        await run.StopAsync();
    }

    [Test]
    public async Task Continuous_churn_is_published_no_later_than_the_maximum_delay()
    {
        await using var run = CoalescingRun.Start(quietPeriod: TimeSpan.FromSeconds(5), maxDelay: TimeSpan.FromMilliseconds(300));
        var (events, published, cts) = (run.Events.Writer, run.Published.Reader, run.Cancellation);
        await run.FirstAsync();

        // Changes keep coming faster than the quiet period, for much longer than the maximum delay:
        // a publish must still happen while they keep coming.
        var port = 1;
        var next = published.ReadAsync(cts.Token).AsTask();
        while (!next.IsCompleted && port < 2000)
        {
            events.TryWrite(new ServiceEntriesObserved("web", (ulong)(++port + 1), [Entry("n1", "web-1", port: port)]));
            await Task.WhenAny(next, Task.Delay(10, cts.Token));
        }

        Assert.That(next.IsCompleted, Is.True, "a continuous burst held the catalog back beyond its maximum delay");
        await run.StopAsync();
    }

    /// <summary>A store running over a feed of Consul events with the given coalescing, its publishes on a channel.</summary>
    private sealed class CoalescingRun : IAsyncDisposable
    {
        private readonly Task _running;

        private CoalescingRun(TimeSpan quietPeriod, TimeSpan maxDelay)
        {
            var store = new CatalogStore(new FakeLogger<CatalogStore>(), new CatalogOptions { QuietPeriod = quietPeriod, MaxDelay = maxDelay });
            store.Apply([.. ConsulFeed.NoRouting()]);
            store.Subscribe((snapshot, _) => Published.Writer.TryWrite(snapshot));
            _running = store.RunAsync(Events.Reader, Cancellation.Token);
        }

        public Channel<ConsulEvent> Events { get; } = Channel.CreateUnbounded<ConsulEvent>();

        public Channel<CatalogSnapshot> Published { get; } = Channel.CreateUnbounded<CatalogSnapshot>();

        public CancellationTokenSource Cancellation { get; } = new(TimeSpan.FromSeconds(30));

        public static CoalescingRun Start(TimeSpan quietPeriod, TimeSpan maxDelay) => new(quietPeriod, maxDelay);

        /// <summary>Lists <c>web</c> with one instance on port 1 and waits for that first change's publish.</summary>
        public async Task<CatalogSnapshot> FirstAsync()
        {
            Events.Writer.TryWrite(new ServiceSetObserved(["web"], 1));
            Events.Writer.TryWrite(new ServiceEntriesObserved("web", 2, [Entry("n1", "web-1", port: 1)]));
            return await Published.Reader.ReadAsync(Cancellation.Token);
        }

        /// <summary>Stops the store and checks that it ended by that cancellation, not by a fault of its own.</summary>
        public async Task StopAsync()
        {
            await Cancellation.CancelAsync();
            Assert.That(async () => await _running, Throws.InstanceOf<OperationCanceledException>());
        }

        public ValueTask DisposeAsync()
        {
            Cancellation.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
