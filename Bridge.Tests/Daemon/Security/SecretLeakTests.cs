using Grpc.Core;

namespace Bridge.Tests.Daemon.Security;

/// <summary>
/// Secrets never leave the process through logs (every category, every level, exceptions and scopes included),
/// refusal messages or the admin endpoints.
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class SecretLeakTests
{
    private const string ConsulToken = "c0ffee00-1d2e-4f3a-b4c5-d6e7f8a9b0c1";
    private const string AdsToken = "ads-token-7f3e9a1b5c2d4e6f8a0b";

    [Test]
    public async Task A_run_with_tokens_never_writes_them_to_logs_or_admin_output()
    {
        using var pki = new TestPki();
        var adsTokens = pki.Write("ads-tokens", AdsToken + "\n");
        var bridge = await InProcessBridge.StartAsync(new()
        {
            Settings = new Dictionary<string, string?> { ["Consul:Token"] = ConsulToken, ["Ads:Authorization:TokenFile"] = adsTokens },
            ConsulToken = ConsulToken,
            LogLevel = LogLevel.Trace,
        });
        var admin = new List<string>();
        await using (bridge)
        {
            using var channel = bridge.OpenChannel();
            var served = await AdsProbe.FetchClustersAsync(channel, headers: new Metadata { { "authorization", "Bearer " + AdsToken } });
            var servedDelta = await AdsProbe.FetchClustersDeltaAsync(channel, headers: new Metadata { { "x-bridge-token", AdsToken } });
            var refused = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersAsync(channel, headers: new Metadata { { "x-bridge-token", AdsToken + "-wrong" } }));
            Assert.That(AdsProbe.ClusterNames(served), Does.Contain("web"), "the bridge read Consul with its token");
            Assert.That(servedDelta.Resources, Is.Not.Empty);
            Assert.That(refused!.Status.Detail, Does.Not.Contain(AdsToken));

            foreach (var path in new[] { "/healthz", "/readyz", "/debug/catalog", "/debug/xds?resources=true", "/debug/clients", "/metrics" })
            {
                admin.Add(await bridge.GetAdminAsync(path));
            }
        }

        var logs = bridge.Logs.AllText();
        Assert.That(bridge.Logs.GetSnapshot(), Has.Count.GreaterThan(100), "trace-level logging of every category was captured");
        Assert.That(logs, Does.Contain("X-Consul-Token"), "request headers were logged, with their values redacted");
        Assert.That(logs, Does.Not.Contain(ConsulToken));
        Assert.That(logs, Does.Not.Contain(AdsToken));
        Assert.That(admin, Has.None.Contain(ConsulToken).And.None.Contain(AdsToken));
        Assert.That(admin[2], Does.Contain("\"web\""), "the debug views had content to leak");
    }

    [Test]
    public async Task A_token_consul_rejects_is_not_logged_either()
    {
        const string wrong = "deadbeef-0000-4000-8000-000000000000";
        await using var bridge = await InProcessBridge.StartAsync(new()
        {
            Settings = new Dictionary<string, string?> { ["Consul:Token"] = wrong },
            ConsulToken = ConsulToken,
            LogLevel = LogLevel.Trace,
            WaitForCatalog = false,
        });

        var failure = await bridge.Logs.WaitForAsync(ConsulQueryFailed, timeout: TimeSpan.FromSeconds(15));

        Assert.That(failure.Describe(), Does.Contain("ACL not found"));
        Assert.That(bridge.Logs.AllText(), Does.Not.Contain(wrong).And.Not.Contain(ConsulToken));
    }

    private const int ConsulQueryFailed = 1001;
}
