using System.Net;
using Bridge.Core.Configuration;
using Bridge.Core.Consul;
using Bridge.Daemon.Configuration;

namespace Bridge.Daemon.Security;

/// <summary>
/// Says at start how the bridge is protected, and warns about what an operator would not want unnoticed: an
/// unverified or unencrypted Consul connection, and ADS or admin endpoints open to the network without
/// authentication.
/// </summary>
internal static class SecurityPosture
{
    /// <param name="logger">Where the report goes.</param>
    /// <param name="settings">The settings in force.</param>
    /// <param name="connections">Queries allowed in flight at start (over plain HTTP, before the agent's own limit is read) and their source addresses.</param>
    public static void Report(ILogger logger, BridgeSettings settings, ConsulConnections connections)
    {
        ReportConsul(logger, settings.Consul, settings.ConsulSources, connections);
        ReportAds(logger, settings);
        if (!IsLoopback(settings.Admin.Listen))
        {
            SecurityLog.AdminOpenToNetwork(logger, settings.Admin.Listen);
        }
    }

    private static void ReportConsul(ILogger logger, ConsulOptions consul, IReadOnlyDictionary<string, string> sources, ConsulConnections connections)
    {
        string Source(string property) => sources.TryGetValue(property, out var variable) ? variable : $"Consul:{property}";

        var token = string.IsNullOrEmpty(consul.Token) ? "none" : "from " + Source(nameof(ConsulOptions.Token));
        if (!consul.UsesTls)
        {
            var spread = connections.SourceAddresses is { } addresses
                ? $"plain HTTP/1.1 from up to {addresses.Count} local addresses ({addresses[0]} to {addresses[^1]})"
                : "plain HTTP/1.1";
            SecurityLog.ConsulTransport(logger, consul.Address, spread, connections.QuerySlots, token);
            if (!string.IsNullOrEmpty(consul.Token) && !IsLoopbackHost(consul.Address))
            {
                SecurityLog.ConsulTokenInCleartext(logger, consul.Address);
            }

            // Only what the bridge's own configuration sets: CONSUL_* variables are often set for the CLI and are
            // ignored over plain HTTP by Consul's tools too.
            string[] unused = [.. new[]
                {
                    (nameof(ConsulOptions.CaFile), consul.CaFile), (nameof(ConsulOptions.CaPath), consul.CaPath),
                    (nameof(ConsulOptions.CertFile), consul.CertFile), (nameof(ConsulOptions.KeyFile), consul.KeyFile),
                    (nameof(ConsulOptions.TlsServerName), consul.TlsServerName),
                }
                .Where(s => !string.IsNullOrEmpty(s.Item2) && !sources.ContainsKey(s.Item1))
                .Select(s => "Consul:" + s.Item1)];
            if (unused.Length > 0)
            {
                SecurityLog.ConsulTlsSettingsUnused(logger, string.Join(", ", unused), consul.Address);
            }

            return;
        }

        var verification = consul.InsecureSkipVerify ? "certificate NOT verified"
            : !string.IsNullOrEmpty(consul.CaFile) || !string.IsNullOrEmpty(consul.CaPath)
                ? $"certificate verified against {string.Join(" and ", new[] { consul.CaFile, consul.CaPath }.Where(p => !string.IsNullOrEmpty(p)))}"
                : "certificate verified against the system's roots";
        var client = string.IsNullOrEmpty(consul.CertFile) ? "" : $", client certificate {consul.CertFile}";
        var name = string.IsNullOrEmpty(consul.TlsServerName) ? "" : $", server name {consul.TlsServerName}";
        SecurityLog.ConsulTransport(logger, consul.Address, $"HTTPS with HTTP/2, {verification}{name}{client}", connections.QuerySlots, token);
        if (consul.InsecureSkipVerify)
        {
            var setting = Source(nameof(ConsulOptions.InsecureSkipVerify));
            SecurityLog.ConsulVerificationDisabled(logger, setting == "CONSUL_HTTP_SSL_VERIFY" ? "CONSUL_HTTP_SSL_VERIFY=false" : setting, consul.Address);
        }
    }

    private static void ReportAds(ILogger logger, BridgeSettings settings)
    {
        var tls = settings.AdsTls;
        var authorization = settings.AdsAuthorization;
        var rules = new List<string>();
        if (authorization.Tokens.Count > 0)
        {
            rules.Add($"{authorization.Tokens.Count} token(s)");
        }

        if (authorization.AllowedNodeIds.Count > 0)
        {
            rules.Add($"node ids {string.Join(", ", authorization.AllowedNodeIds)}");
        }

        if (authorization.AllowedClusters.Count > 0)
        {
            rules.Add($"clusters {string.Join(", ", authorization.AllowedClusters)}");
        }

        SecurityLog.AdsSecurity(
            logger,
            settings.Ads.Listen,
            tls.Enabled ? $"TLS with {tls.TlsCertFile}" : "plaintext",
            tls.RequiresClientCertificate ? $"client certificates required, signed by {tls.ClientCaFile}" : "no client certificates",
            rules.Count > 0 ? "authorization by " + string.Join("; ", rules) : "no authorization");

        if (IsLoopback(settings.Ads.Listen) || tls.RequiresClientCertificate || authorization.Tokens.Count > 0)
        {
            return;
        }

        if (authorization.IsEmpty)
        {
            SecurityLog.AdsOpenToNetwork(logger, settings.Ads.Listen);
        }
        else
        {
            SecurityLog.AdsRulesUnauthenticated(logger, settings.Ads.Listen);
        }
    }

    private static bool IsLoopback(string listen) => ListenAddress.TryParse(listen, out var endpoint) && IPAddress.IsLoopback(endpoint.Address);

    private static bool IsLoopbackHost(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri)
        && (uri.IsLoopback || IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
