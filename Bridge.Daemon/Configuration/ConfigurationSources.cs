namespace Bridge.Daemon.Configuration;

/// <summary>
/// Where settings come from, later ones winning: appsettings.json beside the binary (every default),
/// /etc/consul-xds-bridge/appsettings.json (or the file named by BRIDGE_CONFIG), BRIDGE_-prefixed environment
/// variables (e.g. BRIDGE_Consul__Address), then the command line (e.g. --Consul:Address=...).
/// </summary>
internal static class ConfigurationSources
{
    public const string EnvironmentPrefix = "BRIDGE_";
    public const string DefaultConfigFile = "/etc/consul-xds-bridge/appsettings.json";

    public static IConfigurationRoot Build(string[] args, string? configFile = null)
    {
        configFile ??= Environment.GetEnvironmentVariable("BRIDGE_CONFIG") ?? DefaultConfigFile;
        return new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddJsonFile(configFile, optional: true, reloadOnChange: true)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddCommandLine(args)
            .Build();
    }
}
