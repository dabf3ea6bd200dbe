using System.Security.Cryptography;

namespace Bridge.Tests.Daemon.Security;

/// <summary>A throwaway certificate authority, made at run time; its files live in a temporary directory.</summary>
internal sealed class TestPki : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private readonly X509Certificate2 _ca;

    public TestPki(string name = "Test CA")
    {
        Directory = Path.Combine(Path.GetTempPath(), "bridge-pki-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        CaFile = Write("ca.pem", _ca.ExportCertificatePem());
    }

    public string Directory { get; }

    /// <summary>The CA certificate, PEM.</summary>
    public string CaFile { get; }

    public X509Certificate2 Ca => _ca;

    /// <summary>A server certificate for <paramref name="dnsName"/>, 127.0.0.1 and ::1; returns the PEM certificate and key files.</summary>
    public (string CertFile, string KeyFile) IssueServer(string fileName = "server", string dnsName = "localhost", bool withIpAddresses = true)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        if (withIpAddresses)
        {
            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
        }

        return Issue(fileName, $"CN={dnsName}", ServerAuth, san.Build());
    }

    /// <summary>A client certificate; returns the PEM certificate and key files.</summary>
    public (string CertFile, string KeyFile) IssueClient(string fileName = "client", string commonName = "proxy-1") =>
        Issue(fileName, $"CN={commonName}", ClientAuth, null);

    /// <summary>The client certificate with its key, for an <see cref="HttpClientHandler"/> or SocketsHttpHandler.</summary>
    public static X509Certificate2 Load((string CertFile, string KeyFile) files)
    {
        using var ephemeral = X509Certificate2.CreateFromPemFile(files.CertFile, files.KeyFile);
        // Export and reload: a TLS client on some platforms cannot use an ephemeral key.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }

    public string Write(string fileName, string contents)
    {
        var path = Path.Combine(Directory, fileName);
        File.WriteAllText(path, contents);
        return path;
    }

    private (string CertFile, string KeyFile) Issue(string fileName, string subject, Oid usage, X509Extension? san)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        using var certificate = request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), serial);
        var certFile = Write(fileName + ".pem", certificate.ExportCertificatePem());
        var keyFile = Write(fileName + "-key.pem", key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    public void Dispose()
    {
        _ca.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
