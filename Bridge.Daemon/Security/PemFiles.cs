using System.Security.Cryptography;

namespace Bridge.Daemon.Security;

/// <summary>A certificate or key file that cannot be used; the message names the file, never its contents.</summary>
internal sealed class PemFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads the PEM files named by the TLS settings, the way Consul and Envoy take them.</summary>
internal static class PemFiles
{
    /// <summary>Every certificate in a PEM file (a CA bundle); at least one.</summary>
    public static X509Certificate2Collection ReadCertificates(string path)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(ReadText(path));
        }
        catch (CryptographicException e)
        {
            throw new PemFileException($"'{path}' is not a valid PEM certificate file ({e.Message})", e);
        }

        return certificates.Count > 0 ? certificates : throw new PemFileException($"'{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }

    /// <summary>Every certificate in every file of a directory (Consul's <c>ca_path</c>); each file must hold one.</summary>
    public static X509Certificate2Collection ReadCertificateDirectory(string path)
    {
        string[] files;
        try
        {
            files = [.. Directory.EnumerateFiles(path).Order(StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PemFileException($"cannot list the directory '{path}' ({e.Message})", e);
        }

        var certificates = new X509Certificate2Collection();
        foreach (var file in files)
        {
            certificates.AddRange(ReadCertificates(file));
        }

        return certificates.Count > 0 ? certificates : throw new PemFileException($"the directory '{path}' holds no certificate file");
    }

    /// <summary>
    /// A certificate with its private key, the first certificate of <paramref name="certPath"/>; the file's further
    /// certificates are its intermediates, sent along in the handshake.
    /// </summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Intermediates) ReadCertificateWithKey(string certPath, string keyPath)
    {
        var chain = ReadCertificates(certPath);
        var keyText = ReadText(keyPath);
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(chain[0].ExportCertificatePem(), keyText);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new PemFileException($"'{keyPath}' holds no unencrypted PEM private key matching the certificate in '{certPath}' ({e.Message})", e);
        }

        if (OperatingSystem.IsWindows())
        {
            // SChannel cannot use an ephemeral key in a server handshake; a PKCS#12 round trip persists it.
            using var ephemeral = certificate;
            certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        return (certificate, intermediates);
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PemFileException($"cannot read '{path}' ({e.Message})", e);
        }
    }
}
