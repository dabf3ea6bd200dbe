using Bridge.Daemon.Configuration;

namespace Bridge.Daemon.Cli;

/// <summary><c>--help</c>: how to call every command, then every setting with its default and environment variable.</summary>
internal static class HelpCommand
{
    public const string Usage = """
        usage:
          consul-xds-bridge [--dev] [--Section:Key=value ...]
              Run the daemon: watch Consul, serve xDS over ADS. Under systemd (Type=notify) it reports READY
              once the first full catalog is served, pings the watchdog, and drains every xDS stream on SIGTERM.
              --dev starts an embedded Consul-compatible agent on 127.0.0.1:8500 seeded with web (split 90/10 between two versions), api and db.
          consul-xds-bridge validate <config.json>
              Check a configuration file on top of the defaults; exit 0 if the daemon would accept it,
              exit 1 listing every error by key. Run it before restarting the service on a new file.
          consul-xds-bridge bootstrap envoy|grpc --node-id ID [--cluster NAME] [--services a,b,c] [--service-name NAME] [--xds-address HOST:PORT]
              Print a bootstrap that points Envoy (YAML) or a proxyless gRPC application (JSON) at this bridge.
              --services scopes the node to the services it calls; --service-name names the service it belongs
              to, whose service-defaults UpstreamConfig shapes its clusters (and is its cluster unless --cluster).
          consul-xds-bridge --version
              Print the version.
          consul-xds-bridge --help
              Print this text.

        exit codes: 0 success or clean stop, 1 invalid configuration (or the Consul watch failed: event 5201),
        2 bad command line; systemd restarts the daemon on any code but 0.
        """;

    public static void Write(TextWriter output)
    {
        output.WriteLine(Usage);
        output.WriteLine();
        output.WriteLine($"""
            settings (later sources win):
              1. appsettings.json beside the binary
              2. {ConfigurationSources.DefaultConfigFile}, or the file named by BRIDGE_CONFIG
              3. environment variables: {ConfigurationSources.EnvironmentPrefix} + the key with ':' written as '__'
              4. the command line: --Section:Key=value
            Consul's own CONSUL_HTTP_ADDR, CONSUL_HTTP_SSL, CONSUL_HTTP_TOKEN(_FILE), CONSUL_CACERT, CONSUL_CAPATH,
            CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY, CONSUL_TLS_SERVER_NAME and CONSUL_HTTP_SSL_VERIFY apply to each
            Consul setting that sources 2 to 4 leave unset or empty. Durations are hh:mm:ss[.fff].
            SIGHUP (systemctl reload) or an edited file reloads what can change live; event 5103 names the settings
            that wait for a restart (README: "What can change without a restart").
            """);
        output.WriteLine();

        var settings = SettingsReference.All();
        var keyWidth = settings.Max(s => s.Key.Length);
        var defaultWidth = settings.Max(s => s.Default.Length);
        output.WriteLine($"  {"key".PadRight(keyWidth)}  {"default".PadRight(defaultWidth)}  environment variable");
        foreach (var setting in settings)
        {
            output.WriteLine($"  {setting.Key.PadRight(keyWidth)}  {setting.Default.PadRight(defaultWidth)}  {setting.EnvironmentVariable}");
            if (setting.Accepted is { } accepted)
            {
                output.WriteLine($"  {"".PadRight(keyWidth)}  accepted: {string.Join(", ", accepted)}");
            }
        }

        output.WriteLine($"  {"Logging:LogLevel:<category>".PadRight(keyWidth)}  {"Information".PadRight(defaultWidth)}  {ConfigurationSources.EnvironmentPrefix}Logging__LogLevel__<category>");
        output.WriteLine($"  {"".PadRight(keyWidth)}  accepted: Trace, Debug, Information, Warning, Error, Critical, None; <category> is Default or a logger name prefix");
    }
}
