using Microsoft.Extensions.Configuration.Json;

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
            .Add(DefaultsFileSource.Beside(AppContext.BaseDirectory))
            .AddJsonFile(configFile, optional: true, reloadOnChange: true)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .AddCommandLine(args)
            .Build();
    }
}

/// <summary>
/// The appsettings.json shipped beside the binary. It lists every default, so a value found only there is one no
/// operator chose, and Consul's own environment variables (CONSUL_HTTP_ADDR, CONSUL_CACERT, ...) still apply.
/// </summary>
internal sealed class DefaultsFileSource : JsonConfigurationSource
{
    public static DefaultsFileSource Beside(string directory)
    {
        var source = new DefaultsFileSource { Path = System.IO.Path.Combine(directory, "appsettings.json"), Optional = true, ReloadOnChange = false };
        source.ResolveFileProvider();
        return source;
    }
}
