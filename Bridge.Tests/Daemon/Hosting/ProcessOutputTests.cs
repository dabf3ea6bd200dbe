namespace Bridge.Tests.Daemon;

/// <summary>What reaches journald: the daemon's stdout, which operators read with `journalctl -o cat | jq`.</summary>
[TestFixture]
public sealed class ProcessOutputTests
{
    [TestCase(BridgeParent.TestHost)]
    [TestCase(BridgeParent.Systemd)]
    public async Task Every_log_line_is_a_json_object_with_level_and_event_id(BridgeParent parent)
    {
        await using var bridge = await BridgeUnderTest.StartAsync(parent);
        await bridge.Notify.WaitForAsync(m => m.Has("READY=1"), BridgeUnderTest.StartTimeout, "with READY=1");
        var synced = await bridge.Daemon.WaitForLineAsync(LogLines.Event(2004), TimeSpan.FromSeconds(30), "with event 2004 (catalog synced)");

        var lines = bridge.Daemon.Output.Split('\n').Where(l => !l.StartsWith("daemon-pid ", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            foreach (var line in lines)
            {
                Assert.That(() => JsonDocument.Parse(line).Dispose(), Throws.Nothing, $"not a JSON line: {line}");
            }
        });
        using var json = JsonDocument.Parse(synced);
        Assert.Multiple(() =>
        {
            Assert.That(json.RootElement.GetProperty("eventId").GetInt32(), Is.EqualTo(2004));
            Assert.That(json.RootElement.GetProperty("eventName").GetString(), Is.EqualTo("CatalogSynced"));
            Assert.That(json.RootElement.GetProperty("level").GetString(), Is.EqualTo("info"));
            Assert.That(json.RootElement.GetProperty("Services").GetInt32(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task An_invalid_setting_exits_1_naming_the_key_and_the_accepted_values()
    {
        await using var daemon = await BridgeProcess.StartAsync(new() { Arguments = ["--Xds:Warning=maybe"] });

        var exitCode = await daemon.WaitForExitAsync(BridgeUnderTest.StartTimeout);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1));
            Assert.That(daemon.Output, Does.Contain("Xds:Warning").And.Contain("'maybe'").And.Contain("Healthy, Exclude"));
        });
    }

    [TestCase("Ads:Listen")]
    [TestCase("Admin:Listen")]
    public async Task A_busy_listen_address_exits_1_with_one_line_naming_the_setting(string key)
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var address = $"127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";
        await using var daemon = await BridgeProcess.StartAsync(new() { ConsulAddress = "http://127.0.0.1:9", Arguments = [$"--{key}={address}"] });

        var exitCode = await daemon.WaitForExitAsync(BridgeUnderTest.StartTimeout);

        var errors = daemon.Output.Split('\n').Where(l => l.StartsWith("consul-xds-bridge:", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1));
            Assert.That(errors, Has.Count.EqualTo(1));
            Assert.That(errors.Single(), Does.Contain(key).And.Contain(address).And.Contain("already in use"));
            Assert.That(daemon.Output, Does.Not.Contain("   at "), "no stack trace");
        });
    }
}
