using Bridge.Core.Xds;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Bridge.Tests.Daemon;

/// <summary>What `systemctl stop` does to the real daemon: SIGTERM, then STOPPING=1, every xDS stream drained, exit 0.</summary>
[TestFixture]
public sealed class GracefulShutdownTests
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    [TestCase(Parent.TestHost)]
    [TestCase(Parent.Systemd)]
    public async Task Sigterm_sends_stopping_drains_open_streams_with_ok_and_exits_0(Parent parent)
    {
        await using var bridge = await BridgeUnderTest.StartAsync(parent);
        await bridge.Notify.WaitForAsync(m => m.Has("READY=1"), BridgeUnderTest.StartTimeout, "with READY=1");

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{bridge.AdsPort}");
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        using var call = client.StreamAggregatedResources();
        await call.RequestStream.WriteAsync(new DiscoveryRequest
        {
            Node = new Node { Id = "ops-test-envoy", UserAgentName = "envoy" },
            TypeUrl = TypeUrls.Cluster,
        });
        using (var first = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            Assert.That(await call.ResponseStream.MoveNext(first.Token), Is.True, "no CDS answer");
        }

        Assert.That(call.ResponseStream.Current.Resources, Has.Count.EqualTo(1), "the web cluster");

        var stopping = StopTimeout;
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        bridge.Daemon.Signal(Signals.Terminate);

        await bridge.Notify.WaitForAsync(m => m.Has("STOPPING=1"), stopping, "with STOPPING=1");
        using var drained = new CancellationTokenSource(stopping - stopwatch.Elapsed);
        // Drained means the server ended the call with OK, so the proxy reconnects (elsewhere) at once, rather than
        // seeing an error or a connection reset.
        Status status;
        bool more;
        try
        {
            more = await call.ResponseStream.MoveNext(drained.Token);
            status = call.GetStatus();
        }
        catch (RpcException e)
        {
            (more, status) = (false, e.Status);
        }

        var exitCode = await bridge.Daemon.WaitForExitAsync(stopping - stopwatch.Elapsed);

        Assert.Multiple(() =>
        {
            Assert.That(more, Is.False, "the stream was not ended by the server");
            Assert.That(status.StatusCode, Is.EqualTo(StatusCode.OK), $"{status.Detail}\n{bridge.Daemon.Output}");
            Assert.That(exitCode, Is.EqualTo(0), bridge.Daemon.Output);
        });
    }

    /// <summary>
    /// SIGHUP is the unit's ExecReload=: the daemon reloads its settings (or, in a host without the reloader, logs
    /// event 6001). The signal's default action, ending the process on the spot, must never happen.
    /// </summary>
    [Test]
    public async Task Sighup_does_not_end_the_daemon()
    {
        await using var bridge = await BridgeUnderTest.StartAsync(Parent.TestHost);
        await bridge.Notify.WaitForAsync(m => m.Has("READY=1"), BridgeUnderTest.StartTimeout, "with READY=1");

        bridge.Daemon.Signal(Signals.Hangup);
        var (_, readiness) = await bridge.ReadyzAsync();
        bridge.Daemon.Signal(Signals.Terminate);

        // Killed by SIGHUP, the exit code would be 129 and no STOPPING=1 would come.
        await bridge.Notify.WaitForAsync(m => m.Has("STOPPING=1"), StopTimeout, "with STOPPING=1");
        var exitCode = await bridge.Daemon.WaitForExitAsync(StopTimeout);

        Assert.Multiple(() =>
        {
            Assert.That(readiness.Status, Is.EqualTo("ready"));
            Assert.That(exitCode, Is.EqualTo(0), bridge.Daemon.Output);
        });
    }
}
