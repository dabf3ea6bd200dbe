using System.Runtime.InteropServices;
using Bridge.Daemon.Configuration;
using Microsoft.Extensions.Primitives;

namespace Bridge.Daemon.Hosting;

/// <summary>
/// Reloads the configuration on SIGHUP or when the configuration file changes, and hands the new snapshot to
/// <see cref="SettingsMonitor"/>, whose subscribers apply it. An invalid reload keeps the settings in force and logs
/// every error with its key (event 5102); one that changes settings applied only at start names them (event 5103).
/// </summary>
internal sealed partial class SettingsReloader : IHostedService, IDisposable
{
    private const string FileChanged = "configuration file changed";

    private readonly IConfigurationRoot _configuration;
    private readonly SettingsMonitor _settings;
    private readonly ILogger<SettingsReloader> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>What the process started with: the settings that a reload cannot change are still these.</summary>
    private readonly BridgeSettings _started;
    private PosixSignalRegistration? _sighup;
    private IDisposable? _fileWatch;

    public SettingsReloader(IConfigurationRoot configuration, SettingsMonitor settings, ILogger<SettingsReloader> logger)
    {
        _configuration = configuration;
        _settings = settings;
        _started = settings.Current;
        _logger = logger;
    }

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

    /// <summary>Reloads and publishes the configuration; returns false (and keeps the settings in force) when it is invalid.</summary>
    public async Task<bool> ReloadAsync(string trigger, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
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

            var change = await _settings.PublishAsync(next, cancellationToken).ConfigureAwait(false);

            // A file watcher reports one edit several times; a reload nobody asked for that changed nothing says nothing.
            if (change is null && trigger == FileChanged)
            {
                return true;
            }

            // Against the start, not the last reload: until a restart, these keep their starting values, however
            // many reloads come and go.
            var pending = SettingReloads.Changed(_started, next).Where(key => SettingReloads.Of(key) == ReloadEffect.Restart).ToList();
            if (pending.Count > 0)
            {
                Log.RestartNeeded(_logger, trigger, string.Join(", ", pending));
            }

            Log.Reloaded(_logger, trigger, change is null ? "none" : string.Join(", ", change.ChangedKeys));
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _sighup?.Dispose();
        _fileWatch?.Dispose();
        _gate.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, EventName = "ConfigurationReloaded", Level = LogLevel.Information,
            Message = "Configuration reloaded ({Trigger}); settings changed: {Keys}")]
        public static partial void Reloaded(ILogger logger, string trigger, string keys);

        [LoggerMessage(EventId = 5102, EventName = "ConfigurationReloadRejected", Level = LogLevel.Error,
            Message = "Configuration reload ({Trigger}) rejected, the running configuration stays: {Key}: {Reason}")]
        public static partial void ReloadRejected(ILogger logger, string trigger, string key, string reason);

        [LoggerMessage(EventId = 5103, EventName = "ConfigurationNeedsRestart", Level = LogLevel.Warning,
            Message = "Configuration reload ({Trigger}): {Keys} take effect only after a restart; until then the bridge runs with the values it started with")]
        public static partial void RestartNeeded(ILogger logger, string trigger, string keys);
    }
}
