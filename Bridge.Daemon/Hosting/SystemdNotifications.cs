using Bridge.Core;
using Microsoft.Extensions.Hosting.Systemd;

namespace Bridge.Daemon.Hosting;

/// <summary>
/// Tells systemd the truth (Type=notify): READY only once a full catalog is served, STATUS lines as the state
/// changes, WATCHDOG pings at half of WatchdogSec, and STOPPING when a graceful shutdown starts, which also
/// drains every xDS stream so proxies reconnect elsewhere. Does nothing when NOTIFY_SOCKET is not set.
/// </summary>
internal sealed class SystemdNotifications : BackgroundService
{
    private readonly ISystemdNotifier _notifier;
    private readonly BridgePipeline _pipeline;
    private readonly IHostApplicationLifetime _lifetime;

    public SystemdNotifications(ISystemdNotifier notifier, BridgePipeline pipeline, IHostApplicationLifetime lifetime)
    {
        _notifier = notifier;
        _pipeline = pipeline;
        _lifetime = lifetime;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _lifetime.ApplicationStopping.Register(() =>
        {
            Notify("STOPPING=1\nSTATUS=draining xDS streams");
            _pipeline.Streams.DrainAll();
        });

        var watchdog = WatchdogInterval();
        using var ticker = watchdog is { } interval ? new PeriodicTimer(interval) : null;
        var pinging = ticker is null ? Task.CompletedTask : PingAsync(ticker, stoppingToken);

        try
        {
            await _pipeline.WhenReady.WaitAsync(stoppingToken).ConfigureAwait(false);
            var catalog = _pipeline.Catalog;
            Notify($"READY=1\nSTATUS={Status()}, {catalog.Services.Count} services, {catalog.InstanceCount} instances");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await pinging.ConfigureAwait(false);
    }

    private async Task PingAsync(PeriodicTimer ticker, CancellationToken ct)
    {
        try
        {
            do
            {
                Notify($"WATCHDOG=1\nSTATUS={Status()}");
            }
            while (await ticker.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private string Status() => _pipeline.State.Status.ToString().ToLowerInvariant();

    private void Notify(string state)
    {
        if (_notifier.IsEnabled)
        {
            _notifier.Notify(new ServiceState(state));
        }
    }

    /// <summary>Half of WATCHDOG_USEC, as sd_watchdog_enabled advises; null when systemd asked for no watchdog.</summary>
    private static TimeSpan? WatchdogInterval()
    {
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!ulong.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var micros) || micros == 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(micros / 2.0);
    }
}
