using System.Text.Json;
using Bridge.LoadTest.Reporting;
using Bridge.LoadTest.Scenarios;

namespace Bridge.Tests.LoadTest;

/// <summary>
/// The load harness's smoke scenario, so the harness cannot rot: it must run end to end against the real bridge
/// process and every stream must receive every change it subscribes to. Timing is reported, never asserted: timing
/// targets belong to the benchmarks (BENCHMARKS.md), not to tests.
/// </summary>
[NonParallelizable]
public sealed class SmokeTests
{
    [Test]
    [CancelAfter(180_000)]
    public async Task Smoke_run_delivers_every_change_to_every_stream_that_subscribes_to_it(CancellationToken ct)
    {
        var output = Directory.CreateTempSubdirectory("bridge-load-smoke-").FullName;
        try
        {
            var settings = Presets.Smoke with { DrainTimeout = TimeSpan.FromSeconds(60) };
            var result = await LoadRun.ExecuteAsync(settings, RunEnvironment.Locate(output), TestContext.Progress.WriteLine, ct);
            await TestContext.Out.WriteLineAsync(Summary.Run(result));

            var churn = result.Phases.Single();
            Assert.Multiple(() =>
            {
                Assert.That(result.StreamsOpened, Is.EqualTo(settings.TotalStreams));
                Assert.That(result.StreamsEnded, Is.Zero, "streams the bridge ended or refused");
                Assert.That(result.ColdStartSeconds, Has.Count.EqualTo(1));
                Assert.That(churn.Changes, Is.EqualTo(20));
                Assert.That(churn.ExpectedDeliveries, Is.GreaterThanOrEqualTo(20), "every change has subscribers");
                Assert.That(churn.Outstanding, Is.Zero, "(change, stream) pairs never delivered");
                Assert.That(churn.Deliveries + churn.Superseded, Is.EqualTo(churn.ExpectedDeliveries));
                Assert.That(churn.Propagation.Count, Is.EqualTo(churn.Deliveries));
                Assert.That(churn.LastStream.Count, Is.EqualTo(churn.Changes));
                Assert.That(churn.Floor.Count, Is.GreaterThan(0), "the floor probe measured something");
                Assert.That(churn.ResponsesPerSecond, Is.GreaterThan(0));
                Assert.That(result.PeakRssBytes, Is.GreaterThan(0));
                Assert.That(result.Agent.TooManyRequests, Is.Zero);
                Assert.That(JsonSerializer.Serialize(result, LoadJsonContext.Default.RunResult), Does.Contain("\"Propagation\""));
            });
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
