using System.Globalization;
using System.Reflection;
using Bridge.Core.Ads;
using Bridge.Core.Consul;
using Bridge.Core.Catalog;
using Bridge.Core.Xds;
using Bridge.Daemon.Admin;
using Microsoft.Extensions.Configuration;

namespace Bridge.Daemon.Configuration;

/// <summary>
/// Binds the configuration into <see cref="BridgeSettings"/>. Every problem is collected, each naming the key
/// and the accepted values, so one run of <c>validate</c> shows them all.
/// </summary>
internal static class SettingsLoader
{
    public static (BridgeSettings? Settings, IReadOnlyList<SettingError> Errors) Load(IConfiguration configuration)
    {
        var errors = new List<SettingError>();
        var consul = Bind<ConsulOptions>(configuration, ConsulOptions.SectionName, errors);
        var xds = Bind<XdsOptions>(configuration, XdsOptions.SectionName, errors);
        var ads = Bind<AdsOptions>(configuration, AdsOptions.SectionName, errors);
        var catalog = Bind<CatalogOptions>(configuration, CatalogOptions.SectionName, errors);
        var admin = Bind<AdminOptions>(configuration, AdminOptions.SectionName, errors);
        var state = Bind<StateOptions>(configuration, StateOptions.SectionName, errors);
        if (catalog is not null && (catalog.QuietPeriod < TimeSpan.Zero || catalog.MaxDelay < catalog.QuietPeriod || catalog.MaxDelay > TimeSpan.FromSeconds(10)))
        {
            errors.Add(new SettingError("Catalog:MaxDelay", "QuietPeriod must be at least 0 and MaxDelay between QuietPeriod and 00:00:10"));
        }

        if (admin is not null && !ListenAddress.TryParse(admin.Listen, out _))
        {
            errors.Add(new SettingError("Admin:Listen", $"'{admin.Listen}' is not host:port with an IP literal host, e.g. 127.0.0.1:19000"));
        }

        if (state is not null && state.WriteInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add(new SettingError("State:WriteInterval", "must be at least 00:00:00.1"));
        }

        if (consul is not null)
        {
            consul = ApplyConsulEnvironment(consul, configuration);
            Validate(consul, errors);
        }

        if (xds is not null)
        {
            Validate(xds, errors);
        }

        if (ads is not null)
        {
            Validate(ads, errors);
        }

        return errors.Count == 0 ? (new BridgeSettings(consul!, catalog!, xds!, ads!, admin!, state!), errors) : (null, errors);
    }

    /// <summary>
    /// Consul's own tools read CONSUL_HTTP_ADDR and CONSUL_HTTP_TOKEN; they apply unless the bridge's own
    /// configuration (file, BRIDGE_ variables or command line) names the value explicitly.
    /// </summary>
    private static ConsulOptions ApplyConsulEnvironment(ConsulOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection(ConsulOptions.SectionName);
        var addr = Environment.GetEnvironmentVariable("CONSUL_HTTP_ADDR");
        if (section[nameof(ConsulOptions.Address)] is null && !string.IsNullOrWhiteSpace(addr))
        {
            var ssl = bool.TryParse(Environment.GetEnvironmentVariable("CONSUL_HTTP_SSL"), out var s) && s;
            options = options with { Address = addr.Contains("://", StringComparison.Ordinal) ? addr : (ssl ? "https://" : "http://") + addr };
        }

        var token = Environment.GetEnvironmentVariable("CONSUL_HTTP_TOKEN");
        if (string.IsNullOrEmpty(options.Token) && !string.IsNullOrEmpty(token))
        {
            options = options with { Token = token };
        }

        return options;
    }

    private static T? Bind<T>(IConfiguration configuration, string sectionName, List<SettingError> errors)
        where T : class, new()
    {
        var section = configuration.GetSection(sectionName);
        foreach (var child in section.GetChildren())
        {
            if (typeof(T).GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is null)
            {
                errors.Add(new SettingError($"{sectionName}:{child.Key}", $"unknown setting; known settings of {sectionName}: {string.Join(", ", SettingNames<T>())}"));
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

    private static void Validate(ConsulOptions o, List<SettingError> errors)
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

        if (o.MaxConcurrentQueries is < 1 or > 10_000)
        {
            errors.Add(new SettingError("Consul:MaxConcurrentQueries", "accepted: 1 to 10000 (Consul allows 200 connections per client by default)"));
        }
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
