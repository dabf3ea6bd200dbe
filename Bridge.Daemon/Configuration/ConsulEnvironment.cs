using Bridge.Core.Consul;
using Microsoft.Extensions.Configuration.Json;

namespace Bridge.Daemon.Configuration;

/// <summary>
/// Consul's own environment variables, as its tools read them, as a configuration source of the <c>Consul</c>
/// section: CONSUL_HTTP_ADDR and CONSUL_HTTP_SSL (Address), CONSUL_HTTP_TOKEN_FILE then CONSUL_HTTP_TOKEN (TokenFile or
/// Token), CONSUL_CACERT, CONSUL_CAPATH, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY, CONSUL_TLS_SERVER_NAME and
/// CONSUL_HTTP_SSL_VERIFY (InsecureSkipVerify). Added above the bridge's configuration, it supplies only what that
/// configuration leaves to them: a value no settings file, BRIDGE_ variable or command-line option sets (the defaults
/// shipped beside the binary and empty values set nothing).
/// </summary>
/// <param name="configuration">The bridge's configuration, beneath this source.</param>
/// <param name="environment">Reads an environment variable.</param>
internal sealed class ConsulEnvironmentSource(IConfiguration configuration, Func<string, string?> environment) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new ConsulEnvironmentProvider(configuration, environment);
}

/// <summary>The keys <see cref="ConsulEnvironmentSource"/> supplies, where each came from, and variables it could not read.</summary>
internal sealed class ConsulEnvironmentProvider(IConfiguration configuration, Func<string, string?> environment) : ConfigurationProvider
{
    /// <summary>Variables that supply a Consul setting as they are.</summary>
    private static readonly (string Variable, string Property)[] Paths =
    [
        ("CONSUL_CACERT", nameof(ConsulOptions.CaFile)),
        ("CONSUL_CAPATH", nameof(ConsulOptions.CaPath)),
        ("CONSUL_CLIENT_CERT", nameof(ConsulOptions.CertFile)),
        ("CONSUL_CLIENT_KEY", nameof(ConsulOptions.KeyFile)),
        ("CONSUL_TLS_SERVER_NAME", nameof(ConsulOptions.TlsServerName)),
    ];

    private readonly Dictionary<string, string> _origins = new(StringComparer.Ordinal);
    private readonly List<SettingError> _errors = [];

    /// <summary>Property name to the variable(s) its value came from, for each key this source supplies.</summary>
    public IReadOnlyDictionary<string, string> Origins => _origins;

    /// <summary>Variables set to something Consul's client would not read either (an unparsable true/false).</summary>
    public IReadOnlyList<SettingError> Errors => _errors;

    public override void Load()
    {
        _origins.Clear();
        _errors.Clear();
        Data.Clear();
        if (Chosen(nameof(ConsulOptions.Address)) is null)
        {
            LoadAddress();
        }

        foreach (var (variable, property) in Paths)
        {
            if (Chosen(property) is null && Variable(variable) is { } value)
            {
                Supply(property, value, variable);
            }
        }

        // Unlike Consul's client, an unparsable value is an error rather than "do not verify".
        if (Chosen(nameof(ConsulOptions.InsecureSkipVerify)) is null && Flag("CONSUL_HTTP_SSL_VERIFY") is { } verify)
        {
            Supply(nameof(ConsulOptions.InsecureSkipVerify), verify ? "false" : "true", "CONSUL_HTTP_SSL_VERIFY");
        }

        // As in Consul's client, the token file wins over the token; either in the bridge's configuration wins over both.
        if (Chosen(nameof(ConsulOptions.Token)) is null && Chosen(nameof(ConsulOptions.TokenFile)) is null)
        {
            if (Variable("CONSUL_HTTP_TOKEN_FILE") is { } file)
            {
                Supply(nameof(ConsulOptions.TokenFile), file, "CONSUL_HTTP_TOKEN_FILE");
                _origins[nameof(ConsulOptions.Token)] = "CONSUL_HTTP_TOKEN_FILE";
            }
            else if (Variable("CONSUL_HTTP_TOKEN") is { } token)
            {
                Supply(nameof(ConsulOptions.Token), token, "CONSUL_HTTP_TOKEN");
            }
        }
    }

    /// <summary>CONSUL_HTTP_ADDR, with http:// when it names no scheme; CONSUL_HTTP_SSL=true makes it (or the default) https, as in Consul's client.</summary>
    private void LoadAddress()
    {
        var address = Variable("CONSUL_HTTP_ADDR") is { } addr ? (addr.Contains("://", StringComparison.Ordinal) ? addr : "http://" + addr) : null;
        var origin = address is null ? null : "CONSUL_HTTP_ADDR";
        if (Flag("CONSUL_HTTP_SSL") == true)
        {
            var plain = address ?? NullIfEmpty(configuration[Key(nameof(ConsulOptions.Address))]) ?? new ConsulOptions().Address;
            if (plain.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                (address, origin) = ("https://" + plain["http://".Length..], origin is null ? "CONSUL_HTTP_SSL" : "CONSUL_HTTP_ADDR and CONSUL_HTTP_SSL");
            }
        }

        if (address is not null)
        {
            Supply(nameof(ConsulOptions.Address), address, origin!);
        }
    }

    private void Supply(string property, string value, string origin)
    {
        Data[Key(property)] = value;
        _origins[property] = origin;
    }

    private string? Variable(string name) => NullIfEmpty(environment(name))?.Trim();

    /// <summary>A Go boolean, as Consul's client parses it.</summary>
    private bool? Flag(string name)
    {
        switch (Variable(name)?.ToLowerInvariant())
        {
            case null:
                return null;
            case "1" or "t" or "true":
                return true;
            case "0" or "f" or "false":
                return false;
            default:
                _errors.Add(new SettingError(name, $"'{Variable(name)}' is not accepted; accepted values: true, false (or 1, 0)"));
                return null;
        }
    }

    /// <summary>The bridge configuration's value of a Consul setting, unless it is empty or comes only from the shipped defaults.</summary>
    private string? Chosen(string property)
    {
        var key = Key(property);
        if (configuration is not IConfigurationRoot root)
        {
            return NullIfEmpty(configuration[key]);
        }

        foreach (var provider in root.Providers.Reverse())
        {
            if (provider.TryGet(key, out var value))
            {
                return provider is JsonConfigurationProvider { Source: DefaultsFileSource } ? null : NullIfEmpty(value);
            }
        }

        return null;
    }

    private static string Key(string property) => $"{ConsulOptions.SectionName}:{property}";

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
