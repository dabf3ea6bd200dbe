using System.Net;
using System.Net.Security;
using Bridge.Core.Consul;

namespace Bridge.Daemon.Security;

/// <summary>
/// The connection to Consul: TLS as Consul's own tools set it up (CA file or directory, client certificate,
/// server name, optional verification bypass) and, over HTTPS, HTTP/2 so that thousands of blocking queries share
/// a few connections.
/// </summary>
internal static class ConsulTransport
{
    /// <summary>
    /// The handler every Consul request goes through. The certificate files were checked when the settings were
    /// loaded; a failure here means they changed since, and stops the start.
    /// </summary>
    /// <param name="options">The Consul settings.</param>
    /// <param name="connections">The source addresses to spread connections over; none lets the system pick.</param>
    public static SocketsHttpHandler CreateHandler(ConsulOptions options, ConsulConnections? connections = null)
    {
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.All,
            // Plain HTTP/1.1: one connection per query in flight, and the query slots (ConsulConnections) already keep
            // those within the agent's allowance. An HTTPS peer that refuses HTTP/2 gets a fixed number of connections.
            MaxConnectionsPerServer = options.UsesTls ? options.Http1FallbackConnections : int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // HTTP/2: a new connection only when every open one carries as many streams as Consul allows (250).
            EnableMultipleHttp2Connections = true,
            // A blocking query is silent for minutes; pings find a dead connection (and its hundreds of streams)
            // in seconds instead of when every query on it times out.
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };

        if (options.UsesTls)
        {
            handler.SslOptions = ClientAuthentication(options);
        }

        if (connections?.ConnectCallback is { } connect)
        {
            handler.ConnectCallback = connect;
        }

        return handler;
    }

    internal static SslClientAuthenticationOptions ClientAuthentication(ConsulOptions options)
    {
        var ssl = new SslClientAuthenticationOptions();
        if (!string.IsNullOrEmpty(options.CertFile) && !string.IsNullOrEmpty(options.KeyFile))
        {
            var (certificate, intermediates) = PemFiles.ReadCertificateWithKey(options.CertFile, options.KeyFile);
            ssl.ClientCertificateContext = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
        }

        if (options.InsecureSkipVerify)
        {
            ssl.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            return ssl;
        }

        var roots = TrustedRoots(options);
        if (roots is not null)
        {
            ssl.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                certificate is X509Certificate2 presented
                && (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) == 0
                && CertificateTrust.ChainsTo(presented, chain, roots, CertificateTrust.ServerAuthentication);
        }

        return ssl;
    }

    /// <summary>The CAs of <c>Consul:CaFile</c> and <c>Consul:CaPath</c>; null means the system's roots.</summary>
    internal static X509Certificate2Collection? TrustedRoots(ConsulOptions options)
    {
        if (string.IsNullOrEmpty(options.CaFile) && string.IsNullOrEmpty(options.CaPath))
        {
            return null;
        }

        var roots = new X509Certificate2Collection();
        if (!string.IsNullOrEmpty(options.CaFile))
        {
            roots.AddRange(PemFiles.ReadCertificates(options.CaFile));
        }

        if (!string.IsNullOrEmpty(options.CaPath))
        {
            roots.AddRange(PemFiles.ReadCertificateDirectory(options.CaPath));
        }

        return roots;
    }
}

/// <summary>
/// <c>Consul:TlsServerName</c>: the Host of every request, which SocketsHttpHandler also uses as the TLS server
/// name (SNI) and as the name Consul's certificate must carry, while the connection still goes to the address.
/// </summary>
internal sealed class TlsServerNameHandler(string serverName, int port) : DelegatingHandler
{
    private readonly string _host = port > 0 ? $"{serverName}:{port}" : serverName;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Host = _host;
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// Warns once when Consul's HTTPS endpoint answers over HTTP/1.1, where queries no longer multiplex, and shrinks
/// the query slots to the connections the transport opens.
/// </summary>
internal sealed class Http2FallbackWarning(ConsulOptions options, ILogger logger, ConsulConnections? connections = null) : DelegatingHandler
{
    private int _warned;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Version.Major < 2 && request.Version.Major >= 2 && Interlocked.Exchange(ref _warned, 1) == 0)
        {
            SecurityLog.ConsulRefusedHttp2(logger, options.Address, response.Version.ToString(), options.Http1FallbackConnections, options.MaxConcurrentQueriesHttp2);
            connections?.Http2Refused();
        }

        return response;
    }
}
