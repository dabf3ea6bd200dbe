using Bridge.DevAgent.Http;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class GoDurationTests
{
    [TestCase("0", 0)]
    [TestCase("10s", 10_000)]
    [TestCase("5m", 300_000)]
    [TestCase("100ms", 100)]
    [TestCase("1m30s", 90_000)]
    [TestCase("1.5s", 1_500)]
    [TestCase(".5s", 500)]
    [TestCase("1h", 3_600_000)]
    [TestCase("2h45m", 9_900_000)]
    [TestCase("1500us", 1.5)]
    [TestCase("1500µs", 1.5)]
    [TestCase("-2s", -2_000)]
    [TestCase("+3s", 3_000)]
    public void Parses_what_time_ParseDuration_accepts(string text, double milliseconds)
    {
        Assert.That(GoDuration.TryParse(text, out var value), Is.True);
        Assert.That(value, Is.EqualTo(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [TestCase("")]
    [TestCase("10")]
    [TestCase("s")]
    [TestCase(".s")]
    [TestCase("5 s")]
    [TestCase("5d")]
    [TestCase("1e3s")]
    [TestCase("-")]
    [TestCase("99999999999999999999h")]
    public void Rejects_what_time_ParseDuration_rejects(string text)
    {
        Assert.That(GoDuration.TryParse(text, out _), Is.False);
    }

    [TestCase(0, "0s")]
    [TestCase(250, "250ms")]
    [TestCase(1_500, "1.5s")]
    [TestCase(90_000, "1m30s")]
    [TestCase(3_600_000, "1h0m0s")]
    [TestCase(0.0015, "1.5µs")]
    public void Formats_like_Duration_String(double milliseconds, string expected)
    {
        Assert.That(GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds)), Is.EqualTo(expected));
    }
}
