using System.Text;
using Bridge.Core.Observability;

namespace Bridge.Tests.Observability;

/// <summary>The push-path histograms are exported in the Prometheus text format, as the dashboards query them.</summary>
public sealed class LatencyHistogramTests
{
    [Test]
    public void Buckets_are_cumulative_with_sum_and_count_and_nonsense_is_not_counted()
    {
        var histogram = new LatencyHistogram("bridge_test_seconds", "a test");
        histogram.Record(0.0004);
        histogram.Record(0.003);
        histogram.Record(0.003);
        histogram.Record(5);
        histogram.Record(1000);
        histogram.Record(double.NaN);
        histogram.Record(-1);

        var text = new StringBuilder();
        histogram.WriteTo(text);
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.EqualTo("# HELP bridge_test_seconds a test"));
            Assert.That(lines[1], Is.EqualTo("# TYPE bridge_test_seconds histogram"));
            Assert.That(lines, Does.Contain("bridge_test_seconds_bucket{le=\"0.0005\"} 1"));
            Assert.That(lines, Does.Contain("bridge_test_seconds_bucket{le=\"0.002\"} 1"));
            Assert.That(lines, Does.Contain("bridge_test_seconds_bucket{le=\"0.005\"} 3"));
            Assert.That(lines, Does.Contain("bridge_test_seconds_bucket{le=\"5\"} 4"));
            Assert.That(lines, Does.Contain("bridge_test_seconds_bucket{le=\"660\"} 4"));
            Assert.That(lines, Does.Contain("bridge_test_seconds_bucket{le=\"+Inf\"} 5"));
            Assert.That(lines, Does.Contain("bridge_test_seconds_count 5"));
            Assert.That(double.Parse(lines.Single(l => l.StartsWith("bridge_test_seconds_sum ", StringComparison.Ordinal))[24..], System.Globalization.CultureInfo.InvariantCulture),
                Is.EqualTo(1005.0064).Within(1e-6));
            Assert.That(histogram.Count, Is.EqualTo(5));
        });
    }

    [Test]
    public async Task Concurrent_records_are_all_counted()
    {
        var histogram = new LatencyHistogram("bridge_test_seconds", "a test");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                histogram.Record(i % 7 * 0.001);
            }
        })));

        Assert.That(histogram.Count, Is.EqualTo(40_000));
    }
}
