using System.Runtime.InteropServices;
using Bridge.Core.Configuration;
using Bridge.Daemon.Cli;
using Bridge.Daemon.Configuration;
using Bridge.Daemon.Hosting;

namespace Bridge.Daemon;

/// <summary>
/// The command line: <c>validate</c>, <c>bootstrap</c>, <c>--help</c>, <c>--version</c>, or (no command) the
/// daemon itself. Exit codes: 0 success or clean stop, 1 invalid configuration or a failed catalog pipeline
/// (event 5201), 2 bad usage.
/// </summary>
public static partial class Program
{
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            HelpCommand.Write(output);
            return 0;
        }

        if (args.Contains("--version"))
        {
            VersionCommand.Write(output);
            return 0;
        }

        switch (args.FirstOrDefault())
        {
            case "validate":
                return ValidateCommand.Run(args[1..], output, error);
            case "bootstrap" or null:
                break;
            // A first argument that is not an option is a command; the configuration provider also reads
            // key=value, so that form is left to it.
            case { } command when !command.StartsWith('-') && !command.Contains('=', StringComparison.Ordinal):
                await error.WriteLineAsync($"consul-xds-bridge: unknown command '{command}'").ConfigureAwait(false);
                await error.WriteLineAsync(HelpCommand.Usage).ConfigureAwait(false);
                return 2;
        }

        if (args.FirstOrDefault() != "bootstrap" && SettingArguments.FirstUnknownOption(args) is { } unknown)
        {
            await error.WriteLineAsync($"consul-xds-bridge: unknown option '{unknown}'; settings are written --Section:Key=value, e.g. --Consul:Address=http://127.0.0.1:8500").ConfigureAwait(false);
            await error.WriteLineAsync(HelpCommand.Usage).ConfigureAwait(false);
            return 2;
        }

        var dev = args.Contains(SettingArguments.Dev);
        args = [.. args.Where(a => a != SettingArguments.Dev)];
        IConfigurationRoot configuration;
        try
        {
            configuration = ConfigurationSources.Build(args);
        }
        catch (FormatException e)
        {
            // The command-line provider rejects single-dash switches it has no mapping for.
            await error.WriteLineAsync($"consul-xds-bridge: {e.Message}").ConfigureAwait(false);
            await error.WriteLineAsync(HelpCommand.Usage).ConfigureAwait(false);
            return 2;
        }
        catch (InvalidDataException e)
        {
            // "Failed to load configuration from file '...'", then the JSON reader's line and position.
            await error.WriteLineAsync($"consul-xds-bridge: {e.Message} {ValidateCommand.Innermost(e).Message}").ConfigureAwait(false);
            return 1;
        }

        var (settings, errors) = SettingsLoader.Load(configuration);
        if (settings is null)
        {
            await error.WriteLineAsync("consul-xds-bridge: the configuration is invalid:").ConfigureAwait(false);
            foreach (var e in errors)
            {
                await error.WriteLineAsync($"  {e}").ConfigureAwait(false);
            }

            return 1;
        }

        if (args.Length > 0 && args[0] == "bootstrap")
        {
            return BootstrapCommand.Run(args, settings, output, error);
        }

        await using var devAgent = dev ? await DevMode.StartAsync(settings).ConfigureAwait(false) : null;
        if (dev && devAgent is null)
        {
            return 1;
        }

        var app = BridgeHost.Build(args, devAgent?.Settings ?? settings, configuration);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Bridge.Daemon");

        // SIGHUP asks for a reload (the unit's ExecReload=). While the host has no SettingsReloader to answer it,
        // the signal must still not end the process: by default it would, at once, with no drain and no STOPPING,
        // and systemd counts a SIGHUP death as clean, so Restart=on-failure would not bring the bridge back.
        var reloads = app.Services.GetServices<IHostedService>().OfType<SettingsReloader>().Any();
        using var hangup = reloads ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            Log.ReloadSignalIgnored(logger);
        });

        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (BusyListener(e, devAgent?.Settings ?? settings) is { } busy)
        {
            // One line naming the setting, not Kestrel's stack trace: the usual cause is a second bridge.
            await error.WriteLineAsync($"consul-xds-bridge: {busy} is already in use; stop what listens there or choose another address").ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            return 1;
        }

        await app.WaitForShutdownAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        // A failed background service stops the host without an exception; it sets the exit code (event 5201) so
        // that systemd restarts the bridge, and returning 0 here would override it.
        return Environment.ExitCode;
    }

    /// <summary>The listen setting (key and address) whose address was taken, when that is why the server did not start.</summary>
    private static string? BusyListener(Exception failure, BridgeSettings settings)
    {
        var messages = new List<string>();
        var inUse = false;
        for (var e = failure; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            inUse |= e is Microsoft.AspNetCore.Connections.AddressInUseException;
        }

        if (!inUse)
        {
            return null;
        }

        // Kestrel names the address in the exception that wraps the socket's own.
        foreach (var (key, value) in new[] { ("Ads:Listen", settings.Ads.Listen), ("Admin:Listen", settings.Admin.Listen) })
        {
            if (ListenAddress.TryParse(value, out var endpoint) && messages.Any(m => m.Contains(endpoint.ToString(), StringComparison.Ordinal)))
            {
                return $"{key} ({value})";
            }
        }

        return $"a listen address (Ads:Listen {settings.Ads.Listen} or Admin:Listen {settings.Admin.Listen})";
    }

    /// <summary>Process events. Event ids are part of the operator interface: never renumber or reuse one.</summary>
    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, EventName = "ReloadSignalIgnored", Level = LogLevel.Warning,
            Message = "SIGHUP ignored: this build reads its settings only at start; validate the file, then restart the service to apply it")]
        public static partial void ReloadSignalIgnored(ILogger logger);
    }
}
