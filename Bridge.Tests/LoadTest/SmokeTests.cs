using Bridge.Core.Consul;
using Bridge.LoadTest.Reporting;
using Bridge.LoadTest.Scenarios;

namespace Bridge.Tests.LoadTest;

/// <summary>
/// The load harness's smoke scenario, so the harness cannot rot: it must run end to end against the real bridge
/// process and every stream must receive every change it subscribes to. Timing is reported, never asserted: timing
/// targets belong to the benchmarks (BENCHMARKS.md), not to tests. Over plain HTTP, the smoke catalog holds more
/// services than one source address has query slots for at Consul's default limit (180 of 200), so the changes to
/// random services include services whose query could not be in flight from one address: each must still arrive,
/// within a drain far shorter than the blocking wait those services would otherwise sit out.
/// </summary>
[NonParallelizable]
public sealed class SmokeTests
{
    [Test]
    [CancelAfter(180_000)]
    public async Task Smoke_run_delivers_every_change_to_every_stream_that_subscribes_to_it_with_more_services_than_one_address_has_query_slots(CancellationToken ct)
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
                Assert.That(result.ConsulProtocol, Is.EqualTo("http/1.1"));
                Assert.That(settings.Services + 1, Is.GreaterThan(ConnectionBudget.PerSource(ConnectionBudget.DefaultAgentLimit, 0, limitKnown: true)));
                Assert.That(churn.Consul!.Sources, Is.GreaterThanOrEqualTo(2), "the queries were spread over source addresses");
                Assert.That(churn.Consul.Connections, Is.GreaterThan(settings.Services), "every service's query had its connection");
                Assert.That(churn.Consul.PeakConnectionsPerSource, Is.LessThanOrEqualTo(180), "within the agent's allowance per address");
                Assert.That(churn.NewServices, Is.GreaterThan(0));
                Assert.That(churn.ChangesByKind.Keys, Is.SupersetOf(new[] { "NewService" }));
                Assert.That(JsonSerializer.Serialize(result, LoadJsonContext.Default.RunResult), Does.Contain("\"Propagation\""));
            });
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
