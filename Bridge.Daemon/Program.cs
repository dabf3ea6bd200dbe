using Bridge.Daemon.Configuration;
using Bridge.Daemon.Hosting;

namespace Bridge.Daemon;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var dev = args.Contains("--dev");
        args = [.. args.Where(a => a != "--dev")];
        var configuration = ConfigurationSources.Build(args);
        var (settings, errors) = SettingsLoader.Load(configuration);
        if (settings is null)
        {
            await Console.Error.WriteLineAsync("consul-xds-bridge: the configuration is invalid:").ConfigureAwait(false);
            foreach (var error in errors)
            {
                await Console.Error.WriteLineAsync($"  {error}").ConfigureAwait(false);
            }

            return 1;
        }

        if (args.Length > 0 && args[0] == "bootstrap")
        {
            return Cli.BootstrapCommand.Run(args, settings, Console.Out, Console.Error);
        }

        await using var devAgent = dev ? await DevMode.StartAsync(settings).ConfigureAwait(false) : null;
        if (dev && devAgent is null)
        {
            return 1;
        }

        var app = BridgeHost.Build(args, devAgent?.Settings ?? settings, configuration);
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }
}
