using Bridge.Core.Ads;
using Bridge.Core.Ads.Authorization;
using Bridge.Core.Catalog;
using Bridge.Core.Consul;
using Bridge.Core.Xds;
using Bridge.Daemon.Admin;
using Bridge.Daemon.Security;

namespace Bridge.Daemon.Configuration;

/// <summary>
/// Builds one <see cref="BridgeSettings"/> snapshot from the configuration: each options type is bound from its
/// section and checked by its validator (<see cref="OptionsBinder"/>), then the files the settings name are read
/// (<see cref="SettingFiles"/>). Every problem is collected, each naming its key and the accepted values, so one run
/// of <c>validate</c> shows them all. The daemon refuses to start on any; a reload that has any keeps the settings
/// in force.
/// </summary>
internal static class SettingsLoader
{
    /// <param name="configuration">The bridge's own configuration (<see cref="ConfigurationSources"/>).</param>
    /// <param name="environment">
    /// Reads an environment variable, for Consul's CONSUL_* (<see cref="ConsulEnvironmentSource"/>); the process
    /// environment by default.
    /// </param>
    public static (BridgeSettings? Settings, IReadOnlyList<SettingError> Errors) Load(IConfiguration configuration, Func<string, string?>? environment = null)
    {
        var root = new ConfigurationBuilder()
            .AddConfiguration(configuration, shouldDisposeConfiguration: false)
            .Add(new ConsulEnvironmentSource(configuration, environment ?? Environment.GetEnvironmentVariable))
            .Build();
        try
        {
            return Load(root, root.Providers.OfType<ConsulEnvironmentProvider>().Single());
        }
        finally
        {
            // Lets go of the configuration's reload token; the configuration itself stays the caller's.
            (root as IDisposable)?.Dispose();
        }
    }

    private static (BridgeSettings?, IReadOnlyList<SettingError>) Load(IConfiguration configuration, ConsulEnvironmentProvider consulEnvironment)
    {
        var errors = new List<SettingError>(consulEnvironment.Errors);
        var consulSources = new Dictionary<string, string>(consulEnvironment.Origins, StringComparer.Ordinal);
        var consul = OptionsBinder.Bind(configuration, ConsulOptions.SectionName, new ConsulOptionsValidator(consulSources), errors);
        var xds = OptionsBinder.Bind(configuration, XdsOptions.SectionName, new XdsOptionsValidator(), errors);
        // The Ads section also holds the listener's TLS keys and the Authorization subsection.
        var ads = OptionsBinder.Bind(configuration, AdsOptions.SectionName, new AdsOptionsValidator(), errors,
            [.. OptionsBinder.Settings(typeof(AdsTlsOptions)).Select(p => p.Name), "Authorization"]);
        var adsTls = OptionsBinder.Bind(configuration, AdsOptions.SectionName, new AdsTlsOptionsValidator(), errors, ignoreUnknown: true);
        var adsAuthorization = OptionsBinder.Bind(configuration, AdsAuthorizationOptions.SectionName, new AdsAuthorizationOptionsValidator(), errors);
        var catalog = OptionsBinder.Bind(configuration, CatalogOptions.SectionName, new CatalogOptionsValidator(), errors);
        var admin = OptionsBinder.Bind(configuration, AdminOptions.SectionName, new AdminOptionsValidator(), errors);
        var state = OptionsBinder.Bind(configuration, StateOptions.SectionName, new StateOptionsValidator(), errors);

        // Files are read once the settings naming them are valid.
        if (consul is not null)
        {
            consul = SettingFiles.ReadConsul(consul, consulSources, errors);
        }

        if (adsTls is not null)
        {
            SettingFiles.ReadAdsTls(adsTls, errors);
        }

        if (adsAuthorization is not null)
        {
            adsAuthorization = SettingFiles.ReadAdsAuthorization(adsAuthorization, errors);
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
}
