using System.Runtime.InteropServices;
using Bridge.Core.Consul;
using Bridge.Daemon.Configuration;
using Microsoft.Extensions.Primitives;

namespace Bridge.Daemon.Hosting;

/// <summary>
/// Reloads the configuration on SIGHUP or when the configuration file changes, and applies what can change
/// live: watch filters, health mapping and translation, log levels, coalescing. An invalid reload keeps the
/// running configuration and logs every error with its key; a change that needs a restart is logged as such.
/// </summary>
internal sealed partial class SettingsReloader : IHostedService, IDisposable
{
    private readonly IConfigurationRoot _configuration;
    private readonly Func<BridgeSettings, Task> _apply;
    private readonly ILogger<SettingsReloader> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<Action<BridgeSettings>> _listeners = [];
    private BridgeSettings _current;
    private PosixSignalRegistration? _sighup;
    private IDisposable? _fileWatch;

    /// <param name="apply">Applies valid new settings to the running stages.</param>
    public SettingsReloader(BridgeSettings initial, IConfigurationRoot configuration, Func<BridgeSettings, Task> apply, ILogger<SettingsReloader> logger)
    {
        _current = initial;
        _configuration = configuration;
        _apply = apply;
        _logger = logger;
    }

    private const string FileChanged = "configuration file changed";

    public BridgeSettings Current => Volatile.Read(ref _current);

    /// <summary>Called with the new settings after each successful reload (e.g. to swap authorization rules).</summary>
    public void OnReloaded(Action<BridgeSettings> listener) => _listeners.Add(listener);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = ReloadAsync("SIGHUP");
        });
        _fileWatch = ChangeToken.OnChange(_configuration.GetReloadToken, () => _ = ReloadAsync(FileChanged));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Reloads and applies the configuration; returns false (and keeps the running one) when it is invalid.</summary>
    public async Task<bool> ReloadAsync(string trigger)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (trigger != FileChanged)
            {
                // A file change has already reloaded the sources; a signal (or a caller) asks for it explicitly.
                _configuration.Reload();
            }

            var (next, errors) = SettingsLoader.Load(_configuration);
            if (next is null)
            {
                foreach (var error in errors)
                {
                    Log.ReloadRejected(_logger, trigger, error.Key, error.Message);
                }

                return false;
            }

            var before = Current;
            if (next == before)
            {
                return true;
            }

            if (!SameRestartOnly(before.Consul, next.Consul) || before.Ads.Listen != next.Ads.Listen || before.Admin != next.Admin || before.State != next.State)
            {
                Log.RestartNeeded(_logger, trigger);
            }

            await _apply(next).ConfigureAwait(false);
            Volatile.Write(ref _current, next);
            foreach (var listener in _listeners)
            {
                listener(next);
            }

            Log.Reloaded(_logger, trigger);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether two Consul settings differ only in what a reload applies (the filters).</summary>
    private static bool SameRestartOnly(ConsulOptions a, ConsulOptions b) =>
        a with { IncludeServices = [], ExcludeServices = [], IncludeTags = [], ExcludeTags = [] }
        == b with { IncludeServices = [], ExcludeServices = [], IncludeTags = [], ExcludeTags = [] };

    public void Dispose()
    {
        _sighup?.Dispose();
        _fileWatch?.Dispose();
        _gate.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, EventName = "ConfigurationReloaded", Level = LogLevel.Information,
            Message = "Configuration reloaded ({Trigger})")]
        public static partial void Reloaded(ILogger logger, string trigger);

        [LoggerMessage(EventId = 5102, EventName = "ConfigurationReloadRejected", Level = LogLevel.Error,
            Message = "Configuration reload ({Trigger}) rejected, the running configuration stays: {Key}: {Reason}")]
        public static partial void ReloadRejected(ILogger logger, string trigger, string key, string reason);

        [LoggerMessage(EventId = 5103, EventName = "ConfigurationNeedsRestart", Level = LogLevel.Warning,
            Message = "Configuration reload ({Trigger}) changed settings that take effect only after a restart (Consul connection, listen addresses, state file)")]
        public static partial void RestartNeeded(ILogger logger, string trigger);
    }
}
