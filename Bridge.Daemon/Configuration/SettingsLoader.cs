using System.Collections;
using System.Globalization;
using System.Reflection;
using Bridge.Core.Ads;
using Bridge.Core.Ads.Authorization;
using Bridge.Core.Consul;
using Bridge.Core.Catalog;
using Bridge.Core.Xds;
using Bridge.Daemon.Admin;
using Bridge.Daemon.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace Bridge.Daemon.Configuration;

/// <summary>
/// Binds the configuration into <see cref="BridgeSettings"/>. Every problem is collected, each naming the key
/// and the accepted values, so one run of <c>validate</c> shows them all.
/// </summary>
internal static class SettingsLoader
{
    /// <param name="configuration">The bridge's own configuration (<see cref="ConfigurationSources"/>).</param>
    /// <param name="environment">Reads an environment variable (Consul's CONSUL_*); the process environment by default.</param>
    public static (BridgeSettings? Settings, IReadOnlyList<SettingError> Errors) Load(IConfiguration configuration, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var errors = new List<SettingError>();
        var consul = Bind<ConsulOptions>(configuration, ConsulOptions.SectionName, errors);
        var xds = Bind<XdsOptions>(configuration, XdsOptions.SectionName, errors);
        // The Ads section also holds the listener's TLS keys and the Authorization subsection.
        var ads = Bind<AdsOptions>(configuration, AdsOptions.SectionName, errors, [.. SettingNames<AdsTlsOptions>(), "Authorization"]);
        var adsTls = Bind<AdsTlsOptions>(configuration, AdsOptions.SectionName, errors, ignoreUnknown: true);
        var adsAuthorization = Bind<AdsAuthorizationOptions>(configuration, AdsAuthorizationOptions.SectionName, errors);
        var catalog = Bind<CatalogOptions>(configuration, CatalogOptions.SectionName, errors);
        var admin = Bind<AdminOptions>(configuration, AdminOptions.SectionName, errors);
        var state = Bind<StateOptions>(configuration, StateOptions.SectionName, errors);
        if (catalog is not null && (catalog.QuietPeriod < TimeSpan.Zero || catalog.MaxDelay < catalog.QuietPeriod || catalog.MaxDelay > TimeSpan.FromSeconds(10)))
        {
            errors.Add(new SettingError("Catalog:MaxDelay", "QuietPeriod must be at least 0 and MaxDelay between QuietPeriod and 00:00:10"));
        }

        if (catalog is not null)
        {
            Validate(catalog, errors);
        }

        if (state is not null && state.MaxAge <= TimeSpan.Zero)
        {
            errors.Add(new SettingError("State:MaxAge", $"{state.MaxAge} must be positive, e.g. 7.00:00:00"));
        }

        if (admin is not null && !ListenAddress.TryParse(admin.Listen, out _))
        {
            errors.Add(new SettingError("Admin:Listen", $"'{admin.Listen}' is not host:port with an IP literal host, e.g. 127.0.0.1:19000"));
        }

        if (state is not null && state.WriteInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add(new SettingError("State:WriteInterval", "must be at least 00:00:00.1"));
        }

        var consulSources = new Dictionary<string, string>(StringComparer.Ordinal);
        if (consul is not null)
        {
            consul = ApplyConsulEnvironment(consul, configuration, environment, consulSources, errors);
            Validate(consul, consulSources, errors);
        }

        if (adsTls is not null)
        {
            Validate(adsTls, errors);
        }

        if (adsAuthorization is not null)
        {
            adsAuthorization = LoadAuthorization(adsAuthorization, errors);
        }

        if (xds is not null)
        {
            Validate(xds, errors);
        }

        if (ads is not null)
        {
            Validate(ads, errors);
        }

        return errors.Count == 0
            ? (new BridgeSettings(consul!, catalog!, xds!, ads!, admin!, state!)
            {
                AdsTls = adsTls!,
                AdsAuthorization = adsAuthorization!,
                ConsulSources = consulSources,
            }, errors)
            : (null, errors);
    }

    /// <summary>
    /// Consul's own tools read CONSUL_HTTP_ADDR, CONSUL_HTTP_SSL, CONSUL_HTTP_TOKEN(_FILE), CONSUL_CACERT,
    /// CONSUL_CAPATH, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY, CONSUL_TLS_SERVER_NAME and CONSUL_HTTP_SSL_VERIFY; each
    /// applies unless the bridge's own configuration (a settings file, BRIDGE_ variables or the command line, not
    /// the defaults shipped beside the binary) sets that value. Token files are read here, at every start.
    /// </summary>
    private static ConsulOptions ApplyConsulEnvironment(
        ConsulOptions options, IConfiguration configuration, Func<string, string?> environment, Dictionary<string, string> sources, List<SettingError> errors)
    {
        string? Chosen(string property) => ChosenValue(configuration, $"{ConsulOptions.SectionName}:{property}");

        string? Variable(string name, string property)
        {
            var value = Chosen(property) is null ? environment(name) : null;
            if (string.IsNullOrWhiteSpace(value))
            {
                return null;
            }

            sources[property] = name;
            return value.Trim();
        }

        if (Chosen(nameof(ConsulOptions.Address)) is null)
        {
            if (Variable("CONSUL_HTTP_ADDR", nameof(ConsulOptions.Address)) is { } addr)
            {
                options = options with { Address = addr.Contains("://", StringComparison.Ordinal) ? addr : "http://" + addr };
            }

            // As in Consul's client, CONSUL_HTTP_SSL=true means https even for an http:// address.
            if (GoBool(environment, "CONSUL_HTTP_SSL", errors) == true && options.Address.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                options = options with { Address = "https://" + options.Address["http://".Length..] };
                sources[nameof(ConsulOptions.Address)] = sources.ContainsKey(nameof(ConsulOptions.Address)) ? "CONSUL_HTTP_ADDR and CONSUL_HTTP_SSL" : "CONSUL_HTTP_SSL";
            }
        }

        options = options with
        {
            CaFile = Variable("CONSUL_CACERT", nameof(ConsulOptions.CaFile)) ?? NullIfEmpty(options.CaFile),
            CaPath = Variable("CONSUL_CAPATH", nameof(ConsulOptions.CaPath)) ?? NullIfEmpty(options.CaPath),
            CertFile = Variable("CONSUL_CLIENT_CERT", nameof(ConsulOptions.CertFile)) ?? NullIfEmpty(options.CertFile),
            KeyFile = Variable("CONSUL_CLIENT_KEY", nameof(ConsulOptions.KeyFile)) ?? NullIfEmpty(options.KeyFile),
            TlsServerName = Variable("CONSUL_TLS_SERVER_NAME", nameof(ConsulOptions.TlsServerName)) ?? NullIfEmpty(options.TlsServerName),
        };

        // Unlike Consul's client, an unparsable value is an error rather than "do not verify".
        if (Chosen(nameof(ConsulOptions.InsecureSkipVerify)) is null && GoBool(environment, "CONSUL_HTTP_SSL_VERIFY", errors) is { } verify)
        {
            options = options with { InsecureSkipVerify = !verify };
            sources[nameof(ConsulOptions.InsecureSkipVerify)] = "CONSUL_HTTP_SSL_VERIFY";
        }

        return ResolveToken(options, Chosen(nameof(ConsulOptions.Token)), Chosen(nameof(ConsulOptions.TokenFile)), environment, sources, errors);
    }

    /// <summary>
    /// The bridge's configuration first (<c>Consul:Token</c> or <c>Consul:TokenFile</c>, not both), then, as in
    /// Consul's client, CONSUL_HTTP_TOKEN_FILE before CONSUL_HTTP_TOKEN. A token file that cannot be read or is
    /// empty stops the start: running with no token would make Consul filter every service out silently.
    /// </summary>
    private static ConsulOptions ResolveToken(
        ConsulOptions options, string? token, string? tokenFile, Func<string, string?> environment, Dictionary<string, string> sources, List<SettingError> errors)
    {
        const string tokenKey = "Consul:Token", fileKey = "Consul:TokenFile";
        string? source;
        if (token is not null && tokenFile is not null)
        {
            errors.Add(new SettingError(fileKey, $"set either {tokenKey} or {fileKey}, not both"));
            return options;
        }

        if (tokenFile is not null)
        {
            (token, source) = (ReadSecretFile(tokenFile, fileKey, errors), fileKey);
        }
        else if (token is not null)
        {
            source = tokenKey;
        }
        else if (environment("CONSUL_HTTP_TOKEN_FILE") is { Length: > 0 } envFile)
        {
            (tokenFile, token, source) = (envFile, ReadSecretFile(envFile, "CONSUL_HTTP_TOKEN_FILE", errors), "CONSUL_HTTP_TOKEN_FILE");
        }
        else if (environment("CONSUL_HTTP_TOKEN") is { Length: > 0 } envToken)
        {
            (token, source) = (envToken.Trim(), "CONSUL_HTTP_TOKEN");
        }
        else
        {
            return options with { Token = null, TokenFile = null };
        }

        sources[nameof(ConsulOptions.Token)] = source;
        if (token is not null && !IsHeaderSafe(token))
        {
            errors.Add(new SettingError(source, "the token holds whitespace or control characters (the token itself is not shown)"));
        }

        return options with { Token = token, TokenFile = tokenFile };
    }

    /// <summary>The whole file, trimmed; null (and an error naming the key and file, never the contents) when unusable.</summary>
    private static string? ReadSecretFile(string path, string key, List<SettingError> errors)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            if (text.Length == 0)
            {
                errors.Add(new SettingError(key, $"'{path}' is empty"));
                return null;
            }

            return text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add(new SettingError(key, $"cannot read '{path}' ({e.Message})"));
            return null;
        }
    }

    /// <summary>Go's strconv.ParseBool, as Consul's client parses its variables: 1, t, true, 0, f, false in any case.</summary>
    private static bool? GoBool(Func<string, string?> environment, string name, List<SettingError> errors)
    {
        var raw = environment(name)?.Trim();
        switch (raw?.ToLowerInvariant())
        {
            case null or "":
                return null;
            case "1" or "t" or "true":
                return true;
            case "0" or "f" or "false":
                return false;
            default:
                errors.Add(new SettingError(name, $"'{raw}' is not accepted; accepted values: true, false (or 1, 0)"));
                return null;
        }
    }

    /// <summary>
    /// The value of <paramref name="key"/> unless it is empty or comes only from the defaults shipped beside the binary.
    /// </summary>
    internal static string? ChosenValue(IConfiguration configuration, string key)
    {
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

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static bool IsHeaderSafe(string value) => !value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c > '\u007e');

    /// <param name="alsoKnown">Keys of the section that another options type binds.</param>
    /// <param name="ignoreUnknown">Another type already reports the section's unknown keys.</param>
    private static T? Bind<T>(IConfiguration configuration, string sectionName, List<SettingError> errors, IReadOnlyList<string>? alsoKnown = null, bool ignoreUnknown = false)
        where T : class, new()
    {
        var section = configuration.GetSection(sectionName);
        foreach (var child in ignoreUnknown ? Enumerable.Empty<IConfigurationSection>() : section.GetChildren())
        {
            if (typeof(T).GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is not { CanWrite: true }
                && alsoKnown?.Contains(child.Key, StringComparer.OrdinalIgnoreCase) != true)
            {
                errors.Add(new SettingError($"{sectionName}:{child.Key}", $"unknown setting; known settings of {sectionName}: {string.Join(", ", SettingNames<T>().Concat(alsoKnown ?? []))}"));
            }
        }

        var beforeCount = errors.Count;
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var raw = section[property.Name];
            if (raw is null)
            {
                continue;
            }

            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var key = $"{sectionName}:{property.Name}";
            if (type.IsEnum && !Enum.TryParse(type, raw, ignoreCase: true, out _))
            {
                errors.Add(new SettingError(key, $"'{raw}' is not accepted; accepted values: {string.Join(", ", Enum.GetNames(type))}"));
            }
            else if (type == typeof(TimeSpan) && !TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out _))
            {
                errors.Add(new SettingError(key, $"'{raw}' is not a duration; write it as hh:mm:ss(.fff), e.g. 00:05:00"));
            }
            else if (type == typeof(int) && !int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            {
                errors.Add(new SettingError(key, $"'{raw}' is not a whole number"));
            }
            else if (type == typeof(long) && !long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            {
                errors.Add(new SettingError(key, $"'{raw}' is not a whole number"));
            }
            else if (type == typeof(bool) && !bool.TryParse(raw, out _))
            {
                errors.Add(new SettingError(key, $"'{raw}' is not accepted; accepted values: true, false"));
            }
            else if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && raw.Length > 0)
            {
                // The binder would silently leave the collection empty: for an allow-list, that means "allow all".
                // The value is not repeated: it may be a token.
                errors.Add(new SettingError(key, IsMap(type)
                    ? $"a single value where a map is expected: write it as a JSON object, or as {key}:<name>=<value>"
                    : $"a single value where a list is expected: write it as a JSON array, or as {key}:0, {key}:1, ..."));
            }
        }

        if (errors.Count > beforeCount)
        {
            return null;
        }

        try
        {
            return section.Get<T>() ?? new T();
        }
        catch (InvalidOperationException e)
        {
            errors.Add(new SettingError(sectionName, e.Message));
            return null;
        }
    }

    private static IEnumerable<string> SettingNames<T>() =>
        typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name);

    private static bool IsMap(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(IReadOnlyDictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(Dictionary<,>));

    private static void Validate(CatalogOptions o, List<SettingError> errors)
    {
        if (o.SyncTimeout < TimeSpan.Zero || o.SyncTimeout > TimeSpan.FromHours(1))
        {
            errors.Add(new SettingError("Catalog:SyncTimeout", $"{o.SyncTimeout} is out of range; accepted: 00:00:00 to 01:00:00"));
        }

        if (!(o.RemovalGuardShare > 0 && o.RemovalGuardShare < 1))
        {
            errors.Add(new SettingError("Catalog:RemovalGuardShare", $"{o.RemovalGuardShare} is out of range; accepted: above 0 and below 1 (0.5 = more than half); to turn the guard off set Catalog:RemovalGuard to false"));
        }

        if (o.RemovalGuardMinServices < 0 || o.RemovalGuardMinInstances < 0)
        {
            errors.Add(new SettingError("Catalog:RemovalGuardMinServices", "RemovalGuardMinServices and RemovalGuardMinInstances must be 0 or more"));
        }

        if (o.RemovalGuardConfirmAfter < TimeSpan.Zero || o.RemovalGuardConfirmAfter > TimeSpan.FromDays(7))
        {
            errors.Add(new SettingError("Catalog:RemovalGuardConfirmAfter", $"{o.RemovalGuardConfirmAfter} is out of range; accepted: 00:00:00 to 7.00:00:00"));
        }
    }

    private static void Validate(ConsulOptions o, IReadOnlyDictionary<string, string> sources, List<SettingError> errors)
    {
        if (!Uri.TryCreate(o.Address, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            errors.Add(new SettingError("Consul:Address", $"'{o.Address}' is not an http:// or https:// URL, e.g. http://127.0.0.1:8500"));
        }

        if (o.Wait < TimeSpan.FromSeconds(1) || o.Wait > TimeSpan.FromMinutes(10))
        {
            errors.Add(new SettingError("Consul:Wait", $"{o.Wait} is out of range; accepted: 00:00:01 to 00:10:00 (Consul caps blocking queries at 10 minutes)"));
        }

        if (o.QueryBurst < 1)
        {
            errors.Add(new SettingError("Consul:QueryBurst", "must be at least 1"));
        }

        if (o.MinQueryInterval < TimeSpan.Zero || o.RetryBaseDelay <= TimeSpan.Zero || o.RetryMaxDelay < o.RetryBaseDelay)
        {
            errors.Add(new SettingError("Consul:RetryBaseDelay", "delays must be positive and RetryMaxDelay at least RetryBaseDelay"));
        }

        if (o.MaxResponseBytes < 1024)
        {
            errors.Add(new SettingError("Consul:MaxResponseBytes", "must be at least 1024"));
        }

        if (o.MaxConcurrentQueries is < 0 or > 10_000)
        {
            errors.Add(new SettingError("Consul:MaxConcurrentQueries",
                "accepted: 0 (nine tenths of the agent's http_max_conns_per_client) or 1 to 10000 queries per source address"));
        }

        if (ConsulConnections.SourceAddressesError(o.SourceAddresses) is { } sourcesError)
        {
            errors.Add(new SettingError("Consul:SourceAddresses", sourcesError));
        }

        if (o.MaxConcurrentQueriesHttp2 is < 1 or > 25_000)
        {
            errors.Add(new SettingError("Consul:MaxConcurrentQueriesHttp2",
                "accepted: 1 to 25000 (HTTP/2 streams: Consul allows 250 per connection and 200 connections per client, and other local clients need some)"));
        }

        if (o.AclRetryWait < TimeSpan.FromSeconds(1) || o.AclRetryWait > TimeSpan.FromMinutes(1))
        {
            errors.Add(new SettingError("Consul:AclRetryWait", $"{o.AclRetryWait} is out of range; accepted: 00:00:01 to 00:01:00"));
        }

        if (o.IndexlessPollInterval < TimeSpan.FromSeconds(1) || o.IndexlessPollInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add(new SettingError("Consul:IndexlessPollInterval", $"{o.IndexlessPollInterval} is out of range; accepted: 00:00:01 to 00:10:00"));
        }

        if (o.MaxStale <= TimeSpan.Zero)
        {
            errors.Add(new SettingError("Consul:MaxStale", $"{o.MaxStale} must be positive, e.g. 00:00:10"));
        }

        ValidateTls(o, sources, errors);
    }

    /// <summary>Over HTTPS, every certificate file must be readable and parse now, not at the first query.</summary>
    private static void ValidateTls(ConsulOptions o, IReadOnlyDictionary<string, string> sources, List<SettingError> errors)
    {
        string Source(string property) => sources.TryGetValue(property, out var variable) ? variable : $"{ConsulOptions.SectionName}:{property}";

        if (!string.IsNullOrEmpty(o.TlsServerName) && Uri.CheckHostName(o.TlsServerName) == UriHostNameType.Unknown)
        {
            errors.Add(new SettingError(Source(nameof(ConsulOptions.TlsServerName)), $"'{o.TlsServerName}' is not a host name, e.g. consul.service.consul"));
        }

        if (string.IsNullOrEmpty(o.CertFile) != string.IsNullOrEmpty(o.KeyFile))
        {
            var (set, missing) = string.IsNullOrEmpty(o.KeyFile)
                ? (Source(nameof(ConsulOptions.CertFile)), "Consul:KeyFile (or CONSUL_CLIENT_KEY)")
                : (Source(nameof(ConsulOptions.KeyFile)), "Consul:CertFile (or CONSUL_CLIENT_CERT)");
            errors.Add(new SettingError(set, $"a client certificate needs its key and a key its certificate: set {missing} too, or neither"));
            return;
        }

        if (!o.UsesTls)
        {
            return;
        }

        Check(nameof(ConsulOptions.CaFile), o.CaFile, path => PemFiles.ReadCertificates(path));
        Check(nameof(ConsulOptions.CaPath), o.CaPath, path => PemFiles.ReadCertificateDirectory(path));
        Check(nameof(ConsulOptions.CertFile), o.CertFile, path => PemFiles.ReadCertificateWithKey(path, o.KeyFile!));

        void Check(string property, string? path, Action<string> read)
        {
            if (string.IsNullOrEmpty(path))
            {
                return;
            }

            try
            {
                read(path);
            }
            catch (PemFileException e)
            {
                errors.Add(new SettingError(Source(property), e.Message));
            }
        }
    }

    private static void Validate(AdsTlsOptions o, List<SettingError> errors)
    {
        if (string.IsNullOrEmpty(o.TlsCertFile) != string.IsNullOrEmpty(o.TlsKeyFile))
        {
            errors.Add(new SettingError(string.IsNullOrEmpty(o.TlsKeyFile) ? "Ads:TlsKeyFile" : "Ads:TlsCertFile",
                "Ads:TlsCertFile and Ads:TlsKeyFile go together: set both to serve ADS over TLS, or neither"));
            return;
        }

        if (!string.IsNullOrEmpty(o.ClientCaFile) && !o.Enabled)
        {
            errors.Add(new SettingError("Ads:ClientCaFile", "client certificates need TLS: set Ads:TlsCertFile and Ads:TlsKeyFile too"));
            return;
        }

        if (!o.Enabled)
        {
            return;
        }

        try
        {
            PemFiles.ReadCertificateWithKey(o.TlsCertFile!, o.TlsKeyFile!);
        }
        catch (PemFileException e)
        {
            errors.Add(new SettingError("Ads:TlsCertFile", e.Message));
        }

        if (o.RequiresClientCertificate)
        {
            try
            {
                PemFiles.ReadCertificates(o.ClientCaFile!);
            }
            catch (PemFileException e)
            {
                errors.Add(new SettingError("Ads:ClientCaFile", e.Message));
            }
        }
    }

    /// <summary>Checks the patterns and tokens, and adds the token file's tokens to the configured ones.</summary>
    private static AdsAuthorizationOptions? LoadAuthorization(AdsAuthorizationOptions o, List<SettingError> errors)
    {
        const string section = AdsAuthorizationOptions.SectionName;
        var before = errors.Count;
        CheckPatterns($"{section}:{nameof(o.AllowedNodeIds)}", o.AllowedNodeIds, errors);
        CheckPatterns($"{section}:{nameof(o.AllowedClusters)}", o.AllowedClusters, errors);

        var tokens = new List<string>();
        for (var i = 0; i < o.Tokens.Count; i++)
        {
            if (CheckToken($"{section}:{nameof(o.Tokens)}:{i}", o.Tokens[i], errors))
            {
                tokens.Add(o.Tokens[i]);
            }
        }

        var tokenFile = NullIfEmpty(o.TokenFile);
        if (tokenFile is not null && ReadSecretFile(tokenFile, $"{section}:{nameof(o.TokenFile)}", errors) is { } text)
        {
            var lines = text.Split('\n');
            var fromFile = 0;
            for (var line = 0; line < lines.Length; line++)
            {
                var token = lines[line].Trim();
                if (token.Length > 0 && !token.StartsWith('#') && CheckToken($"{section}:{nameof(o.TokenFile)} ('{tokenFile}' line {line + 1})", token, errors))
                {
                    tokens.Add(token);
                    fromFile++;
                }
            }

            // An empty file would otherwise turn token checks off without a word.
            if (fromFile == 0 && errors.Count == before)
            {
                errors.Add(new SettingError($"{section}:{nameof(o.TokenFile)}", $"'{tokenFile}' holds no token (one a line; # starts a comment)"));
            }
        }

        return errors.Count == before ? o with { Tokens = tokens, TokenFile = tokenFile } : null;
    }

    private static void CheckPatterns(string key, IReadOnlyList<string> patterns, List<SettingError> errors)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            var pattern = patterns[i];
            if (string.IsNullOrWhiteSpace(pattern) || pattern.IndexOf('*', StringComparison.Ordinal) is var star && star >= 0 && star != pattern.Length - 1)
            {
                errors.Add(new SettingError($"{key}:{i}", $"'{pattern}' is not accepted; write an exact name or a prefix followed by *, e.g. web-*"));
            }
        }
    }

    /// <summary>Tokens guard every proxy's configuration: long enough not to be guessed, and plain enough for a header.</summary>
    private static bool CheckToken(string key, string token, List<SettingError> errors)
    {
        if (token.Length < 16 || !IsHeaderSafe(token))
        {
            errors.Add(new SettingError(key, "a token must be at least 16 printable ASCII characters without spaces (the token itself is not shown)"));
            return false;
        }

        return true;
    }

    private static void Validate(XdsOptions o, List<SettingError> errors)
    {
        if (string.IsNullOrWhiteSpace(o.ZoneNodeMetaKey))
        {
            errors.Add(new SettingError("Xds:ZoneNodeMetaKey", "must name a node-meta key, e.g. zone"));
        }

        if (o.ConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add(new SettingError("Xds:ConnectTimeout", "must be positive, e.g. 00:00:05"));
        }
    }

    private static void Validate(AdsOptions o, List<SettingError> errors)
    {
        if (!ListenAddress.TryParse(o.Listen, out _))
        {
            errors.Add(new SettingError("Ads:Listen", $"'{o.Listen}' is not host:port with an IP literal host, e.g. 127.0.0.1:18000 or [::1]:18000"));
        }

        foreach (var (node, kind) in o.ClientKindOverrides)
        {
            if (!ClientIdentity.TryParseKind(kind, out _))
            {
                errors.Add(new SettingError($"Ads:ClientKindOverrides:{node}", $"'{kind}' is not accepted; accepted values: envoy, grpc"));
            }
        }

        if (o.MaxResourceNamesPerRequest < 1 || o.RequestQueueLength < 1)
        {
            errors.Add(new SettingError("Ads:MaxResourceNamesPerRequest", "limits must be at least 1"));
        }
    }
}
