using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Tests.Consul.ConfigEntries;

public sealed class ConsulDurationTests
{
    [TestCase("0", 0L)]
    [TestCase("15s", 150_000_000L)]
    [TestCase("1m30s", 900_000_000L)]
    [TestCase("250ms", 2_500_000L)]
    [TestCase("1.5h", 54_000_000_000L)]
    [TestCase("2h45m", 99_000_000_000L)]
    [TestCase(".5s", 5_000_000L)]
    [TestCase("5.s", 50_000_000L)]
    [TestCase("100us", 1_000L)]
    [TestCase("100\u00b5s", 1_000L)]
    [TestCase("100\u03bcs", 1_000L)]
    [TestCase("1500ns", 15L)]
    [TestCase("-1s", -10_000_000L)]
    [TestCase("+2s", 20_000_000L)]
    [TestCase("1h1m1s1ms", 36_610_010_000L)]
    public void Go_duration_text_is_read_as_go_reads_it(string text, long ticks)
    {
        Assert.Multiple(() =>
        {
            Assert.That(ConsulDuration.TryParse(text, out var value), Is.True);
            Assert.That(value, Is.EqualTo(TimeSpan.FromTicks(ticks)));
        });
    }

    [TestCase("")]
    [TestCase("15")]
    [TestCase("s")]
    [TestCase(".s")]
    [TestCase("1.2.3s")]
    [TestCase("1d")]
    [TestCase("10 s")]
    [TestCase(" 10s")]
    [TestCase("-")]
    [TestCase("3000000h")]
    [TestCase("9223372036854775808ns")]
    public void Text_go_would_refuse_is_refused(string text)
    {
        Assert.That(ConsulDuration.TryParse(text, out _), Is.False);
    }
}
