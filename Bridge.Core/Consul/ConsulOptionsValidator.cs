using Bridge.Core.Configuration;

namespace Bridge.Core.Consul;

/// <summary>
/// Checks the <c>Consul</c> section once bound: ranges, the address, the TLS settings that go together, the token.
/// The files it names (token file, certificates) are read by whoever loads the settings, after this passes.
/// </summary>
/// <param name="origins">Where a setting came from when not from its own key (see <see cref="SettingFailures"/>).</param>
public sealed class ConsulOptionsValidator(IReadOnlyDictionary<string, string>? origins = null) : SectionValidator<ConsulOptions>(ConsulOptions.SectionName, origins)
{
    protected override void Check(ConsulOptions o, SettingFailures failures)
    {
        if (!Uri.TryCreate(o.Address, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            failures.Add(nameof(o.Address), $"'{o.Address}' is not an http:// or https:// URL, e.g. http://127.0.0.1:8500");
        }

        if (o.Wait < TimeSpan.FromSeconds(1) || o.Wait > TimeSpan.FromMinutes(10))
        {
            failures.Add(nameof(o.Wait), $"{o.Wait} is out of range; accepted: 00:00:01 to 00:10:00 (Consul caps blocking queries at 10 minutes)");
        }

        if (o.QueryBurst < 1)
        {
            failures.Add(nameof(o.QueryBurst), "must be at least 1");
        }

        if (o.MinQueryInterval < TimeSpan.Zero || o.RetryBaseDelay <= TimeSpan.Zero || o.RetryMaxDelay < o.RetryBaseDelay)
        {
            failures.Add(nameof(o.RetryBaseDelay), "delays must be positive and RetryMaxDelay at least RetryBaseDelay");
        }

        if (o.MaxResponseBytes < 1024)
        {
            failures.Add(nameof(o.MaxResponseBytes), "must be at least 1024");
        }

        if (o.MaxConcurrentQueries is < 0 or > 10_000)
        {
            failures.Add(nameof(o.MaxConcurrentQueries),
                "accepted: 0 (nine tenths of the agent's http_max_conns_per_client) or 1 to 10000 queries per source address");
        }

        if (!SourceAddressPool.TryParse(o.SourceAddresses, out _, out var sourcesError))
        {
            failures.Add(nameof(o.SourceAddresses), sourcesError);
        }

        if (o.MaxConcurrentQueriesHttp2 is < 1 or > 25_000)
        {
            failures.Add(nameof(o.MaxConcurrentQueriesHttp2),
                "accepted: 1 to 25000 (HTTP/2 streams: Consul allows 250 per connection and 200 connections per client, and other local clients need some)");
        }

        if (o.AclRetryWait < TimeSpan.FromSeconds(1) || o.AclRetryWait > TimeSpan.FromMinutes(1))
        {
            failures.Add(nameof(o.AclRetryWait), $"{o.AclRetryWait} is out of range; accepted: 00:00:01 to 00:01:00");
        }

        if (o.IndexlessPollInterval < TimeSpan.FromSeconds(1) || o.IndexlessPollInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add(nameof(o.IndexlessPollInterval), $"{o.IndexlessPollInterval} is out of range; accepted: 00:00:01 to 00:10:00");
        }

        if (o.MaxStale <= TimeSpan.Zero)
        {
            failures.Add(nameof(o.MaxStale), $"{o.MaxStale} must be positive, e.g. 00:00:10");
        }

        ValidateToken(o, failures);
        ValidateTls(o, failures);
    }

    private static void ValidateToken(ConsulOptions o, SettingFailures failures)
    {
        // Blank reads as unset: the shipped appsettings.json lists both, empty.
        if (!string.IsNullOrWhiteSpace(o.TokenFile))
        {
            if (!string.IsNullOrWhiteSpace(o.Token))
            {
                failures.Add(nameof(o.TokenFile), "set either Consul:Token or Consul:TokenFile, not both");
            }
        }
        else if (!string.IsNullOrWhiteSpace(o.Token) && !HeaderSecret.IsPlain(o.Token))
        {
            failures.Add(nameof(o.Token), "the token holds whitespace or control characters (the token itself is not shown)");
        }
    }

    private static void ValidateTls(ConsulOptions o, SettingFailures failures)
    {
        if (!string.IsNullOrWhiteSpace(o.TlsServerName) && Uri.CheckHostName(o.TlsServerName) == UriHostNameType.Unknown)
        {
            failures.Add(nameof(o.TlsServerName), $"'{o.TlsServerName}' is not a host name, e.g. consul.service.consul");
        }

        if (string.IsNullOrWhiteSpace(o.CertFile) != string.IsNullOrWhiteSpace(o.KeyFile))
        {
            var (set, missing) = string.IsNullOrWhiteSpace(o.KeyFile)
                ? (nameof(o.CertFile), "Consul:KeyFile (or CONSUL_CLIENT_KEY)")
                : (nameof(o.KeyFile), "Consul:CertFile (or CONSUL_CLIENT_CERT)");
            failures.Add(set, $"a client certificate needs its key and a key its certificate: set {missing} too, or neither");
        }
    }
}
