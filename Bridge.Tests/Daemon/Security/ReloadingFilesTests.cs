using Bridge.Daemon.Security;

namespace Bridge.Tests.Daemon.Security;

[Parallelizable(ParallelScope.All)]
public sealed class ReloadingFilesTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    [Test]
    public void Files_are_looked_at_only_once_the_interval_has_passed_and_only_a_change_reloads()
    {
        using var pki = new TestPki();
        var file = pki.Write("value", "one");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var loads = 0;
        var reloaded = 0;
        var files = new ReloadingFiles<string>([file], () => { loads++; return File.ReadAllText(file); }, "one", Interval, time, _ => { }, () => reloaded++);

        Rewrite(file, "two");
        var beforeInterval = files.Current;
        time.Advance(Interval);
        var afterInterval = files.Current;
        time.Advance(Interval);
        var unchanged = files.Current;

        Assert.That(beforeInterval, Is.EqualTo("one"));
        Assert.That(afterInterval, Is.EqualTo("two"));
        Assert.That(unchanged, Is.EqualTo("two"));
        Assert.That(loads, Is.EqualTo(1));
        Assert.That(reloaded, Is.EqualTo(1));
    }

    [Test]
    public void A_change_that_fails_to_load_keeps_the_last_good_value_until_a_good_one_comes()
    {
        using var pki = new TestPki();
        var file = pki.Write("value", "good");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var failures = new List<string>();
        var files = new ReloadingFiles<string>(
            [file],
            () => File.ReadAllText(file) is var text && text.StartsWith("good", StringComparison.Ordinal) ? text : throw new PemFileException($"'{file}' is broken"),
            "good",
            Interval,
            time,
            e => failures.Add(e.Message),
            () => { });

        Rewrite(file, "half-written");
        time.Advance(Interval);
        var afterBrokenWrite = files.Current;
        Rewrite(file, "good again");
        time.Advance(Interval);
        var afterFix = files.Current;

        Assert.That(afterBrokenWrite, Is.EqualTo("good"));
        Assert.That(failures, Is.EqualTo(new[] { $"'{file}' is broken" }));
        Assert.That(afterFix, Is.EqualTo("good again"));
    }

    /// <summary>Replaces the contents and moves the modification time, as a rotation tool's rename would.</summary>
    private static void Rewrite(string file, string contents)
    {
        var before = File.GetLastWriteTimeUtc(file);
        File.WriteAllText(file, contents);
        File.SetLastWriteTimeUtc(file, before.AddSeconds(1));
    }
}
