using Bridge.DevAgent.Faults;
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

    [TestCase(BridgeParent.TestHost)]
    [TestCase(BridgeParent.Systemd)]
    public async Task Sigterm_sends_stopping_drains_open_streams_with_ok_and_exits_0(BridgeParent parent)
    {
        await using var bridge = await BridgeUnderTest.StartAsync(parent);
        await bridge.Notify.WaitForAsync(m => m.Has("READY=1"), BridgeUnderTest.StartTimeout, "with READY=1");

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{bridge.AdsPort}");
        using var call = await OpenCdsStreamAsync(channel);
        await ReceiveClustersAsync(call);

        await AssertDrainedAsync(bridge, call);
    }

    /// <summary>A proxy that connected while the bridge was still reading Consul waits inside its stream; it too is drained.</summary>
    [Test]
    public async Task A_stream_opened_before_the_first_sync_is_drained_with_ok_too()
    {
        await using var bridge = await BridgeUnderTest.StartAsync(BridgeParent.TestHost, prepare: agent =>
            agent.Faults.Apply(new FaultSettings { Error = new ErrorFault { Kind = ErrorFaultKind.NoLeader } }));
        await bridge.Daemon.WaitForLineAsync(LogLines.Listening(bridge.AdsPort), BridgeUnderTest.StartTimeout, "saying the ADS port listens");

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{bridge.AdsPort}");
        using var call = await OpenCdsStreamAsync(channel);
        await bridge.Daemon.WaitForLineAsync(LogLines.Event(4001), TimeSpan.FromSeconds(30), "with event 4001 (stream opened)");
        bridge.Agent.Faults.Clear();
        await ReceiveClustersAsync(call);

        await AssertDrainedAsync(bridge, call);
    }

    private static async Task<AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse>> OpenCdsStreamAsync(GrpcChannel channel)
    {
        var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources();
        await call.RequestStream.WriteAsync(new DiscoveryRequest
        {
            Node = new Node { Id = "ops-test-envoy", UserAgentName = "envoy" },
            TypeUrl = TypeUrls.Cluster,
        });
        return call;
    }

    private static async Task ReceiveClustersAsync(AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> call)
    {
        using var first = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.That(await call.ResponseStream.MoveNext(first.Token), Is.True, "no CDS answer");
        Assert.That(call.ResponseStream.Current.Resources, Has.Count.EqualTo(1), "the web cluster");
    }

    /// <summary>SIGTERM; then, all within <see cref="StopTimeout"/>: STOPPING=1, the call ended with OK, exit 0.</summary>
    private static async Task AssertDrainedAsync(BridgeUnderTest bridge, AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> call)
    {
        // A proxy is always reading its stream: the read is pending before the signal, as Envoy's would be, so the
        // end of the call is taken as it arrives rather than after the connection is gone.
        using var drained = new CancellationTokenSource(StopTimeout);
        var next = call.ResponseStream.MoveNext(drained.Token);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        bridge.Daemon.Signal(BridgeProcess.Terminate);

        await bridge.Notify.WaitForAsync(m => m.Has("STOPPING=1"), StopTimeout, "with STOPPING=1");
        // Drained means the server ended the call with OK, so the proxy reconnects (elsewhere) at once, rather than
        // seeing an error or a connection reset.
        Status status;
        bool more;
        try
        {
            more = await next;
            status = call.GetStatus();
        }
        catch (RpcException e)
        {
            (more, status) = (false, e.Status);
        }

        var exitCode = await bridge.Daemon.WaitForExitAsync(StopTimeout - stopwatch.Elapsed);

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
        await using var bridge = await BridgeUnderTest.StartAsync(BridgeParent.TestHost);
        await bridge.Notify.WaitForAsync(m => m.Has("READY=1"), BridgeUnderTest.StartTimeout, "with READY=1");

        bridge.Daemon.Signal(BridgeProcess.Hangup);
        var (_, readiness) = await bridge.ReadyzAsync();
        bridge.Daemon.Signal(BridgeProcess.Terminate);

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
