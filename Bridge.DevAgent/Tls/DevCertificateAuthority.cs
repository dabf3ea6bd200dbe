using System.Security.Cryptography.X509Certificates;

namespace Bridge.DevAgent.Tls;

/// <summary>
/// A throwaway PKI made at start for an HTTPS dev agent: a CA, and a server certificate it signs for the listen
/// address, <c>localhost</c> and <c>127.0.0.1</c>. The CA is written as PEM to a private temporary directory so a
/// client can trust it as it would trust Consul's CA (the bridge's <c>Consul:CaFile</c>); the directory goes when
/// the agent stops.
/// </summary>
internal sealed class DevCertificateAuthority : IDisposable
{
    private readonly string _directory;

    private DevCertificateAuthority(X509Certificate2 ca, X509Certificate2 server, string directory)
    {
        CaCertificate = ca;
        ServerCertificate = server;
        _directory = directory;
        CaFile = Path.Combine(directory, "dev-agent-ca.pem");
        File.WriteAllText(CaFile, ca.ExportCertificatePem() + "\n");
    }

    /// <summary>The CA certificate (public part only).</summary>
    public X509Certificate2 CaCertificate { get; }

    /// <summary>The server certificate with its private key, as Kestrel needs it.</summary>
    public X509Certificate2 ServerCertificate { get; }

    /// <summary>Path of the CA certificate in PEM.</summary>
    public string CaFile { get; }

    /// <summary>Makes a CA and a server certificate valid for <paramref name="host"/>.</summary>
    /// <param name="host">The host the agent listens on: an IP literal, <c>localhost</c> or a wildcard address.</param>
    public static DevCertificateAuthority Create(string host)
    {
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        var notAfter = notBefore.AddDays(7);

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Bridge dev agent CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var caWithKey = caRequest.CreateSelfSigned(notBefore, notAfter);

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=server.dc1.consul", serverKey, HashAlgorithmName.SHA256);
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(caWithKey, true, false));
        serverRequest.CertificateExtensions.Add(SubjectAlternativeNames(host));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = serverRequest.Create(caWithKey, notBefore, notAfter.AddMinutes(-1), serial);
        using var serverWithKey = signed.CopyWithPrivateKey(serverKey);

        // A PKCS#12 round trip gives Kestrel a certificate whose key works on every platform's TLS stack.
        var server = X509CertificateLoader.LoadPkcs12(serverWithKey.Export(X509ContentType.Pkcs12), null);
        var ca = X509CertificateLoader.LoadCertificate(caWithKey.RawData);
        var directory = Directory.CreateTempSubdirectory("bridge-dev-agent-tls-").FullName;
        return new DevCertificateAuthority(ca, server, directory);
    }

    public void Dispose()
    {
        CaCertificate.Dispose();
        ServerCertificate.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless.
        }
    }

    private static X509Extension SubjectAlternativeNames(string host)
    {
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName("server.dc1.consul");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        if (IPAddress.TryParse(host, out var ip) && !IPAddress.Any.Equals(ip) && !IPAddress.IPv6Any.Equals(ip)
            && !ip.Equals(IPAddress.Loopback) && !ip.Equals(IPAddress.IPv6Loopback))
        {
            names.AddIpAddress(ip);
        }
        else if (!IPAddress.TryParse(host, out _) && host is not ("localhost" or "*" or "+"))
        {
            names.AddDnsName(host);
        }

        return names.Build();
    }
}
