using System.Threading.Channels;
using Bridge.Core.Catalog;
using Bridge.Core.Consul;
using static Bridge.Tests.Catalog.Entries;

namespace Bridge.Tests.Catalog;

[TestFixture]
public sealed class CatalogCoalescingTests
{
    [Test]
    public async Task First_change_after_a_quiet_spell_is_published_alone_and_a_burst_is_merged_into_one_publish()
    {
        var store = new CatalogStore(new FakeLogger<CatalogStore>(), new CatalogOptions
        {
            QuietPeriod = TimeSpan.FromSeconds(2),
            MaxDelay = TimeSpan.FromSeconds(10),
        });
        store.Apply([.. ConsulFeed.NoRouting()]);
        var published = Channel.CreateUnbounded<CatalogSnapshot>();
        store.Subscribe((snapshot, _) => published.Writer.TryWrite(snapshot));
        var events = Channel.CreateUnbounded<ConsulEvent>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var running = store.RunAsync(events.Reader, cts.Token);

        events.Writer.TryWrite(new ServiceSetObserved(["web"], 1));
        events.Writer.TryWrite(new ServiceEntriesObserved("web", 2, [Entry("n1", "web-1", port: 1)]));
        var first = await published.Reader.ReadAsync(cts.Token);
        Assert.That(first.Services["web"].Instances.Single().Port, Is.EqualTo(1), "the first change goes out at once");

        // A flapping service: five answers within the quiet period of each other. Latest wins, published once.
        for (var port = 2; port <= 6; port++)
        {
            events.Writer.TryWrite(new ServiceEntriesObserved("web", (ulong)(port + 1), [Entry("n1", "web-1", port: port)]));
        }

        var merged = await published.Reader.ReadAsync(cts.Token);
        // A change after the burst, published at once after its quiet spell: another publish of the burst would come before it.
        events.Writer.TryWrite(new ServiceEntriesObserved("web", 8, [Entry("n1", "web-1", port: 7)]));
        var after = await published.Reader.ReadAsync(cts.Token);
        Assert.Multiple(() =>
        {
            Assert.That(merged.Services["web"].Instances.Single().Port, Is.EqualTo(6), "the latest answer of the burst wins");
            Assert.That(merged.Generation, Is.EqualTo(first.Generation + 1), "the burst was published as one generation");
            Assert.That(after.Services["web"].Instances.Single().Port, Is.EqualTo(7), "nothing else was published for the burst");
            Assert.That(after.Generation, Is.EqualTo(merged.Generation + 1));
        });

        await cts.CancelAsync();
        Assert.That(async () => await running, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task Continuous_churn_is_published_no_later_than_the_maximum_delay()
    {
        var store = new CatalogStore(new FakeLogger<CatalogStore>(), new CatalogOptions
        {
            QuietPeriod = TimeSpan.FromSeconds(5),
            MaxDelay = TimeSpan.FromMilliseconds(300),
        });
        store.Apply([.. ConsulFeed.NoRouting()]);
        var published = Channel.CreateUnbounded<CatalogSnapshot>();
        store.Subscribe((snapshot, _) => published.Writer.TryWrite(snapshot));
        var events = Channel.CreateUnbounded<ConsulEvent>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var running = store.RunAsync(events.Reader, cts.Token);
        events.Writer.TryWrite(new ServiceSetObserved(["web"], 1));
        events.Writer.TryWrite(new ServiceEntriesObserved("web", 2, [Entry("n1", "web-1", port: 1)]));
        await published.Reader.ReadAsync(cts.Token);

        // Changes keep coming faster than the quiet period, for much longer than the maximum delay:
        // a publish must still happen while they keep coming.
        var port = 1;
        var next = published.Reader.ReadAsync(cts.Token).AsTask();
        while (!next.IsCompleted && port < 2000)
        {
            events.Writer.TryWrite(new ServiceEntriesObserved("web", (ulong)(++port + 1), [Entry("n1", "web-1", port: port)]));
            await Task.WhenAny(next, Task.Delay(10, cts.Token));
        }

        Assert.That(next.IsCompleted, Is.True, "a continuous burst held the catalog back beyond its maximum delay");
        await cts.CancelAsync();
        Assert.That(async () => await running, Throws.InstanceOf<OperationCanceledException>());
    }
}
