using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Bridge.Daemon.Security;

/// <summary>TLS, and with a client CA mutual TLS, on the ADS listener.</summary>
internal static class AdsTls
{
    /// <summary>
    /// Turns TLS on for <paramref name="listen"/> when a certificate is configured. With a client CA, a client
    /// without a certificate signed by it for client use fails the handshake, never reaches gRPC, and is logged
    /// with its address (Kestrel itself reports failed handshakes at debug level only).
    /// </summary>
    public static void Configure(ListenOptions listen, AdsTlsOptions options, ILogger logger)
    {
        if (!options.Enabled)
        {
            return;
        }

        var (certificate, intermediates) = PemFiles.ReadCertificateWithKey(options.TlsCertFile!, options.TlsKeyFile!);
        var identity = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
        var clientRoots = options.RequiresClientCertificate ? PemFiles.ReadCertificates(options.ClientCaFile!) : null;
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = context =>
            {
                var peer = context.Connection.RemoteEndPoint?.ToString() ?? "(unknown)";
                return ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = identity,
                    // ADS is gRPC: HTTP/2 only, so no renegotiation (RFC 9113 section 9.2.1).
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                    AllowRenegotiation = false,
                    // The system's default (TLS 1.2 and 1.3); HTTP/2 forbids anything older anyway.
                    EnabledSslProtocols = SslProtocols.None,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    ClientCertificateRequired = clientRoots is not null,
                    RemoteCertificateValidationCallback = clientRoots is null ? null : (_, presented, chain, _) =>
                    {
                        var accepted = presented is X509Certificate2 client
                            && CertificateTrust.ChainsTo(client, chain, clientRoots, CertificateTrust.ClientAuthentication);
                        if (!accepted)
                        {
                            SecurityLog.AdsClientCertificateRefused(logger, peer, presented?.Subject ?? "(none)");
                        }

                        return accepted;
                    },
                });
            },
        });
    }
}
