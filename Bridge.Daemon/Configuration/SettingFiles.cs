using Bridge.Core.Ads.Authorization;
using Bridge.Core.Configuration;
using Bridge.Core.Consul;
using Bridge.Daemon.Security;

namespace Bridge.Daemon.Configuration;

/// <summary>
/// The files that settings name, read at every load (start and reload) once the settings themselves are valid: a
/// token file that cannot be read or a certificate that does not parse is refused like a bad value, by key, and
/// never with the file's contents.
/// </summary>
internal static class SettingFiles
{
    /// <summary>
    /// The token of <c>Consul:TokenFile</c> (or CONSUL_HTTP_TOKEN_FILE), and, over HTTPS, every certificate file read
    /// now rather than at the first query. A token file that is unreadable or empty stops the start: running with no
    /// token would make Consul filter every service out silently.
    /// </summary>
    /// <param name="origins">Where a setting came from when not from its own key; gains where the token came from.</param>
    public static ConsulOptions ReadConsul(ConsulOptions o, Dictionary<string, string> origins, List<SettingError> errors)
    {
        string Key(string property) => origins.TryGetValue(property, out var origin) ? origin : $"{ConsulOptions.SectionName}:{property}";

        o = o with
        {
            Token = NullIfEmpty(o.Token),
            TokenFile = NullIfEmpty(o.TokenFile),
            CaFile = NullIfEmpty(o.CaFile),
            CaPath = NullIfEmpty(o.CaPath),
            CertFile = NullIfEmpty(o.CertFile),
            KeyFile = NullIfEmpty(o.KeyFile),
            TlsServerName = NullIfEmpty(o.TlsServerName),
        };
        if (o.TokenFile is not null)
        {
            origins.TryAdd(nameof(o.Token), Key(nameof(o.TokenFile)));
            o = o with { Token = ReadSecret(o.TokenFile, Key(nameof(o.TokenFile)), errors) };
            if (o.Token is not null && !HeaderSecret.IsPlain(o.Token))
            {
                errors.Add(new SettingError(Key(nameof(o.Token)), "the token holds whitespace or control characters (the token itself is not shown)"));
            }
        }
        else if (o.Token is not null)
        {
            origins.TryAdd(nameof(o.Token), Key(nameof(o.Token)));
        }

        if (o.UsesTls)
        {
            Check(Key(nameof(o.CaFile)), o.CaFile, path => PemFiles.ReadCertificates(path), errors);
            Check(Key(nameof(o.CaPath)), o.CaPath, path => PemFiles.ReadCertificateDirectory(path), errors);
            Check(Key(nameof(o.CertFile)), o.CertFile, path => PemFiles.ReadCertificateWithKey(path, o.KeyFile!), errors);
        }

        return o;
    }

    /// <summary>The ADS listener's certificate and key, and the client CA when mutual TLS is on.</summary>
    public static void ReadAdsTls(AdsTlsOptions o, List<SettingError> errors)
    {
        if (o.Enabled)
        {
            Check("Ads:TlsCertFile", o.TlsCertFile, path => PemFiles.ReadCertificateWithKey(path, o.TlsKeyFile!), errors);
        }

        if (o.RequiresClientCertificate)
        {
            Check("Ads:ClientCaFile", o.ClientCaFile, path => PemFiles.ReadCertificates(path), errors);
        }
    }

    /// <summary>Adds the tokens of <c>Ads:Authorization:TokenFile</c>, one a line, to the configured ones.</summary>
    public static AdsAuthorizationOptions ReadAdsAuthorization(AdsAuthorizationOptions o, List<SettingError> errors)
    {
        var key = $"{AdsAuthorizationOptions.SectionName}:{nameof(o.TokenFile)}";
        var tokenFile = NullIfEmpty(o.TokenFile);
        if (tokenFile is null || ReadSecret(tokenFile, key, errors) is not { } text)
        {
            return o with { TokenFile = tokenFile };
        }

        var before = errors.Count;
        var tokens = o.Tokens.ToList();
        var lines = text.Split('\n');
        for (var line = 0; line < lines.Length; line++)
        {
            var token = lines[line].Trim();
            if (token.Length == 0 || token.StartsWith('#'))
            {
                continue;
            }

            if (AdsAuthorizationOptionsValidator.IsAcceptableToken(token))
            {
                tokens.Add(token);
            }
            else
            {
                errors.Add(new SettingError($"{key} ('{tokenFile}' line {line + 1})", AdsAuthorizationOptionsValidator.TokenRule));
            }
        }

        // An empty file would otherwise turn token checks off without a word.
        if (tokens.Count == o.Tokens.Count && errors.Count == before)
        {
            errors.Add(new SettingError(key, $"'{tokenFile}' holds no token (one a line; # starts a comment)"));
        }

        return o with { Tokens = tokens, TokenFile = tokenFile };
    }

    /// <summary>The whole file, trimmed; null (and an error naming the key and file, never the contents) when unusable.</summary>
    private static string? ReadSecret(string path, string key, List<SettingError> errors)
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

    private static void Check(string key, string? path, Action<string> read, List<SettingError> errors)
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
            errors.Add(new SettingError(key, e.Message));
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
