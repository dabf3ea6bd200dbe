using System.Net.Security;
using Grpc.Core;

namespace Bridge.Tests.Daemon.Security;

/// <summary>TLS and mutual TLS on the ADS listener, through the daemon as it is wired, with certificates made per run.</summary>
[Parallelizable(ParallelScope.All)]
public sealed class AdsTlsTests
{
    private const int AdsClientCertificateRefused = 5010;

    [Test]
    public async Task A_tls_client_that_trusts_the_server_ca_gets_clusters()
    {
        using var pki = new TestPki();
        await using var bridge = await StartAsync(pki, mutual: false);

        using var channel = bridge.OpenChannel(https: true, Trusting(pki));
        var response = await AdsProbe.FetchClustersAsync(channel);

        Assert.That(response.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        Assert.That(AdsProbe.ClusterNames(response), Does.Contain("web"));
    }

    [Test]
    public async Task A_plaintext_client_gets_nothing_from_a_tls_listener()
    {
        using var pki = new TestPki();
        await using var bridge = await StartAsync(pki, mutual: false);

        using var channel = bridge.OpenChannel(https: false);
        var error = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersAsync(channel));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.Unavailable).Or.EqualTo(StatusCode.Internal));
    }

    [Test]
    public async Task A_client_that_does_not_trust_the_server_certificate_does_not_connect()
    {
        using var pki = new TestPki();
        using var other = new TestPki("Other CA");
        await using var bridge = await StartAsync(pki, mutual: false);

        using var channel = bridge.OpenChannel(https: true, Trusting(other));
        var error = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersAsync(channel));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.Unavailable).Or.EqualTo(StatusCode.Internal));
    }

    [Test]
    public async Task With_mutual_tls_a_client_without_a_certificate_is_refused()
    {
        using var pki = new TestPki();
        await using var bridge = await StartAsync(pki, mutual: true);

        using var channel = bridge.OpenChannel(https: true, Trusting(pki));
        var error = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersAsync(channel));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.Unavailable).Or.EqualTo(StatusCode.Internal));
        var refused = await bridge.Logs.WaitForAsync(AdsClientCertificateRefused);
        Assert.That(refused.Field("Peer"), Does.StartWith("127.0.0.1:"));
        Assert.That(refused.Field("Subject"), Is.EqualTo("(none)"));
    }

    [Test]
    public async Task With_mutual_tls_a_client_certificate_from_the_client_ca_gets_clusters()
    {
        using var pki = new TestPki();
        await using var bridge = await StartAsync(pki, mutual: true);

        using var certificate = TestPki.Load(pki.IssueClient());
        using var channel = bridge.OpenChannel(https: true, Trusting(pki, certificate));
        var response = await AdsProbe.FetchClustersAsync(channel);

        Assert.That(AdsProbe.ClusterNames(response), Does.Contain("web"));
    }

    [Test]
    public async Task With_mutual_tls_a_client_certificate_from_another_ca_is_refused()
    {
        using var pki = new TestPki();
        using var other = new TestPki("Other CA");
        await using var bridge = await StartAsync(pki, mutual: true);

        using var certificate = TestPki.Load(other.IssueClient(commonName: "stranger"));
        using var channel = bridge.OpenChannel(https: true, Trusting(pki, certificate));
        var error = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersAsync(channel));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.Unavailable).Or.EqualTo(StatusCode.Internal));
        Assert.That((await bridge.Logs.WaitForAsync(AdsClientCertificateRefused)).Field("Subject"), Is.EqualTo("CN=stranger"));
    }

    [Test]
    public async Task With_mutual_tls_a_server_certificate_of_the_client_ca_is_no_client_certificate()
    {
        using var pki = new TestPki();
        await using var bridge = await StartAsync(pki, mutual: true);

        // Signed by the right CA, but for servers only (extended key usage serverAuth).
        using var certificate = TestPki.Load(pki.IssueServer("impostor", "impostor.test"));
        using var channel = bridge.OpenChannel(https: true, Trusting(pki, certificate));
        var error = Assert.ThrowsAsync<RpcException>(() => AdsProbe.FetchClustersAsync(channel));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.Unavailable).Or.EqualTo(StatusCode.Internal));
    }

    [Test]
    public async Task A_rotated_server_certificate_is_served_to_new_connections_and_a_broken_rotation_keeps_the_last_good_one()
    {
        using var first = new TestPki("First CA");
        using var second = new TestPki("Second CA");
        var (cert, key) = first.IssueServer();
        // The whole bridge runs on this clock, so its catalog never syncs: the certificate is read off the handshake.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bridge = await InProcessBridge.StartAsync(new()
        {
            Settings = new Dictionary<string, string?> { ["Ads:TlsCertFile"] = cert, ["Ads:TlsKeyFile"] = key },
            Time = time,
            WaitForCatalog = false,
        });

        var before = await ServerIssuerAsync(bridge, first, second);
        var (rotatedCert, rotatedKey) = second.IssueServer();
        File.Copy(rotatedCert, cert, overwrite: true);
        File.Copy(rotatedKey, key, overwrite: true);
        time.Advance(TimeSpan.FromSeconds(31));
        var afterRotation = await ServerIssuerAsync(bridge, first, second);
        await File.WriteAllTextAsync(key, "-----BEGIN PRIVATE KEY-----\nhalf-written\n");
        time.Advance(TimeSpan.FromSeconds(31));
        var afterBrokenRotation = await ServerIssuerAsync(bridge, first, second);

        Assert.That(before, Is.EqualTo("CN=First CA"));
        Assert.That(afterRotation, Is.EqualTo("CN=Second CA"));
        Assert.That(afterBrokenRotation, Is.EqualTo("CN=Second CA"));
        Assert.That(bridge.Logs.WithId(5011).Single().Field("Files"), Does.Contain(cert));
        Assert.That(bridge.Logs.WithId(5012).Single().Field("Reason"), Does.Contain(key));
    }

    /// <summary>Connects anew, completes a TLS handshake as a gRPC client does (ALPN h2) and returns the issuer of the certificate the server sent.</summary>
    private static async Task<string> ServerIssuerAsync(InProcessBridge bridge, params TestPki[] trusted)
    {
        string? issuer = null;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, bridge.AdsPort);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                issuer = certificate?.Issuer;
                return trusted.Any(pki => PrivateRoots.Chains(certificate, pki.Ca));
            },
        });
        return issuer!;
    }

    private static Task<InProcessBridge> StartAsync(TestPki pki, bool mutual)
    {
        var (cert, key) = pki.IssueServer();
        var settings = new Dictionary<string, string?>
        {
            ["Ads:TlsCertFile"] = cert,
            ["Ads:TlsKeyFile"] = key,
            ["Ads:ClientCaFile"] = mutual ? pki.CaFile : null,
        };
        return InProcessBridge.StartAsync(new() { Settings = settings });
    }

    /// <summary>A handler that trusts only <paramref name="pki"/>'s CA and presents <paramref name="clientCertificate"/>.</summary>
    private static SocketsHttpHandler Trusting(TestPki pki, X509Certificate2? clientCertificate = null) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            RemoteCertificateValidationCallback = PrivateRoots.ServerCheck([pki.Ca]),
        },
    };
}
