using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Bridge.Daemon.Security;

/// <summary>TLS, and with a client CA mutual TLS, on the ADS listener.</summary>
internal static class AdsTls
{
    /// <summary>
    /// Turns TLS on for <paramref name="listen"/> when a certificate is configured. With a client CA, a client
    /// without a certificate signed by it fails the handshake and never reaches gRPC.
    /// </summary>
    public static void Configure(ListenOptions listen, AdsTlsOptions options)
    {
        if (!options.Enabled)
        {
            return;
        }

        var (certificate, intermediates) = PemFiles.ReadCertificateWithKey(options.TlsCertFile!, options.TlsKeyFile!);
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ServerCertificateChain = intermediates,
            // The system's default (TLS 1.2 and 1.3); HTTP/2 forbids anything older anyway.
            SslProtocols = SslProtocols.None,
            CheckCertificateRevocation = false,
        };

        if (options.RequiresClientCertificate)
        {
            var roots = PemFiles.ReadCertificates(options.ClientCaFile!);
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (presented, chain, _) =>
                CertificateTrust.ChainsTo(presented, chain, roots, CertificateTrust.ClientAuthentication);
        }

        listen.UseHttps(https);
    }
}
