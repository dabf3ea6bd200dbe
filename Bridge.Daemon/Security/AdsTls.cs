using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Bridge.Daemon.Security;

/// <summary>TLS, and with a client CA mutual TLS, on the ADS listener.</summary>
internal static class AdsTls
{
    /// <summary>
    /// Turns TLS on for <paramref name="listen"/> when a certificate is configured. With a client CA, a client
    /// without a certificate signed by it for client use fails the handshake, never reaches gRPC, and is logged
    /// with its address (Kestrel itself reports failed handshakes at debug level only). Rotated files are picked
    /// up for new connections without a restart.
    /// </summary>
    /// <summary>How often, at most, the certificate files are looked at for a rotation.</summary>
    internal static readonly TimeSpan ReloadCheckInterval = TimeSpan.FromSeconds(30);

    public static void Configure(ListenOptions listen, AdsTlsOptions options, ILogger logger, TimeProvider time)
    {
        if (!options.Enabled)
        {
            return;
        }

        string[] files = options.RequiresClientCertificate ? [options.TlsCertFile!, options.TlsKeyFile!, options.ClientCaFile!] : [options.TlsCertFile!, options.TlsKeyFile!];
        var credentials = new ReloadingFiles<Credentials>(
            files,
            () => Credentials.Load(options),
            Credentials.Load(options),
            ReloadCheckInterval,
            time,
            e => SecurityLog.CertificateReloadFailed(logger, string.Join(", ", files), e.Message),
            () => SecurityLog.CertificatesReloaded(logger, string.Join(", ", files)));
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = context =>
            {
                var peer = context.Connection.RemoteEndPoint?.ToString() ?? "(unknown)";
                var (identity, clientRoots) = credentials.Current;
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

    /// <summary>What one handshake uses: the server's certificate with its chain, and the CAs of client certificates.</summary>
    private sealed record Credentials(SslStreamCertificateContext Identity, X509Certificate2Collection? ClientRoots)
    {
        public static Credentials Load(AdsTlsOptions options)
        {
            var (certificate, intermediates) = PemFiles.ReadCertificateWithKey(options.TlsCertFile!, options.TlsKeyFile!);
            return new Credentials(
                SslStreamCertificateContext.Create(certificate, intermediates, offline: true),
                options.RequiresClientCertificate ? PemFiles.ReadCertificates(options.ClientCaFile!) : null);
        }
    }
}
