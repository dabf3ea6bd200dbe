using Bridge.Core.Consul;

namespace Bridge.Tests.Consul;

public sealed class SourceAddressPoolTests
{
    [Test]
    public void Connections_fill_the_first_address_then_the_next()
    {
        var pool = new SourceAddressPool([IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3"), IPAddress.Parse("127.0.0.4")], perAddress: 2);

        var leases = Enumerable.Range(0, 5).Select(_ => pool.Rent()).ToList();

        Assert.That(leases.Select(l => l.Address.ToString()), Is.EqualTo(new[] { "127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3", "127.0.0.4" }));
        Assert.That(pool.Overflows, Is.Zero);
    }

    [Test]
    public void A_returned_address_is_reused_first_and_a_lease_is_returned_only_once()
    {
        var pool = new SourceAddressPool([IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")], perAddress: 2);
        var first = pool.Rent();
        pool.Rent();
        pool.Rent();

        first.Dispose();
        first.Dispose();
        var again = pool.Rent();

        Assert.That(again.Address.ToString(), Is.EqualTo("127.0.0.2"));
        Assert.That(pool.Open(), Is.EquivalentTo(new Dictionary<IPAddress, int> { [IPAddress.Parse("127.0.0.2")] = 2, [IPAddress.Parse("127.0.0.3")] = 1 }));
    }

    [Test]
    public void With_every_address_full_a_connection_goes_to_the_least_loaded_and_is_counted_as_overflow()
    {
        var pool = new SourceAddressPool([IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")], perAddress: 1);
        pool.Rent();
        var second = pool.Rent();
        pool.PerAddress = 2;
        pool.Rent();
        pool.PerAddress = 1;

        var over = pool.Rent();

        Assert.That(over.Address, Is.EqualTo(second.Address));
        Assert.That(pool.Overflows, Is.EqualTo(1));
    }

    [TestCase("auto", null)]
    [TestCase("", null)]
    [TestCase("none", "")]
    [TestCase("127.0.1.1, 127.0.1.2", "127.0.1.1,127.0.1.2")]
    [TestCase("127.0.2.0/30", "127.0.2.1,127.0.2.2")]
    [TestCase("10.0.0.7/32", "10.0.0.7")]
    [TestCase("fd00::5,fd00::6", "fd00::5,fd00::6")]
    public void The_setting_reads_auto_none_addresses_and_cidr_blocks(string value, string? expected)
    {
        Assert.That(SourceAddressPool.TryParse(value, out var addresses, out var error), Is.True, error);
        Assert.That(addresses is null ? null : string.Join(",", addresses), Is.EqualTo(expected));
    }

    [TestCase("127.0.0.300", "is not an IP address")]
    [TestCase("127.0.0.0/33", "is not an IPv4 CIDR block")]
    [TestCase("fd00::/120", "is not an IPv4 CIDR block")]
    [TestCase("127.0.0.0/8", "holds more than 1024 addresses")]
    [TestCase("127.0.0.2,fd00::1", "mixes IPv4 and IPv6")]
    [TestCase(",", "no address listed")]
    public void A_bad_setting_is_refused_with_what_is_wrong(string value, string problem)
    {
        Assert.That(SourceAddressPool.TryParse(value, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(problem));
    }

    [Test]
    public void Auto_spreads_over_loopback_only_when_the_agent_is_on_ipv4_loopback()
    {
        var local = SourceAddressPool.For(new ConsulOptions { Address = "http://127.0.0.1:8500" }, 180, out var localReason);
        var v6 = SourceAddressPool.For(new ConsulOptions { Address = "http://[::1]:8500" }, 180, out var v6Reason);
        var remote = SourceAddressPool.For(new ConsulOptions { Address = "http://10.1.2.3:8500" }, 180, out var remoteReason);
        var named = SourceAddressPool.For(new ConsulOptions { Address = "http://localhost:8500" }, 180, out var namedReason);
        var off = SourceAddressPool.For(new ConsulOptions { Address = "http://127.0.0.1:8500", SourceAddresses = "none" }, 180, out _);
        var listed = SourceAddressPool.For(new ConsulOptions { Address = "http://10.1.2.3:8500", SourceAddresses = "10.0.0.5,10.0.0.6" }, 180, out _);

        Assert.Multiple(() =>
        {
            Assert.That(local?.Addresses, Has.Count.EqualTo(253), localReason);
            Assert.That(local?.Addresses[0].ToString(), Is.EqualTo("127.0.0.2"), "127.0.0.1 is left to the host's other clients");
            Assert.That(v6, Is.Null);
            Assert.That(v6Reason, Does.Contain("::1"));
            Assert.That(remote, Is.Null);
            Assert.That(remoteReason, Does.Contain("not on this host's loopback"));
            Assert.That(named, Is.Null);
            Assert.That(namedReason, Does.Contain("a name"));
            Assert.That(off, Is.Null);
            Assert.That(listed?.Addresses.Select(a => a.ToString()), Is.EqualTo(new[] { "10.0.0.5", "10.0.0.6" }));
        });
    }
}
