using System.Threading.Channels;
using Bridge.Core.Catalog;
using Bridge.Core.Consul;
using Bridge.Daemon.Configuration;

namespace Bridge.Daemon.Hosting;

/// <summary>
/// Runs the Consul watcher, the catalog store and the state file for the lifetime of the host. A catalog
/// saved by an earlier run is served first, flagged stale, until Consul answers.
/// </summary>
internal sealed partial class CatalogPipeline : BackgroundService
{
    private readonly CatalogWatcher _watcher;
    private readonly ConnectionBudget _budget;
    private readonly ConsulClient _client;
    private readonly CatalogStore _store;
    private readonly StateOptions _state;
    private readonly ConsulOptions _consul;
    private readonly TimeProvider _time;
    private readonly ILogger<CatalogStateFile> _fileLogger;
    private readonly ILogger<CatalogPipeline> _logger;

    public CatalogPipeline(
        CatalogWatcher watcher,
        ConnectionBudget budget,
        ConsulClient client,
        CatalogStore store,
        StateOptions state,
        ConsulOptions consul,
        TimeProvider time,
        ILogger<CatalogStateFile> fileLogger,
        ILogger<CatalogPipeline> logger)
    {
        _budget = budget;
        _client = client;
        _consul = consul;
        _logger = logger;
        _watcher = watcher;
        _store = store;
        _state = state;
        _time = time;
        _fileLogger = fileLogger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var persisting = Task.CompletedTask;
        if (_state.ResolvedPath is { } path)
        {
            var file = new CatalogStateFile(path, CatalogStateFile.IdentityOf(_consul), _fileLogger);
            if (file.TryLoad(_time.GetUtcNow(), _state.MaxAge) is { } saved)
            {
                _store.LoadPersisted(saved.Services, saved.SavedAt, saved.Departed);
            }

            persisting = new CatalogPersister(file, _store, _state.WriteInterval, _time).RunAsync(stoppingToken);
        }

        var events = Channel.CreateUnbounded<ConsulEvent>(new UnboundedChannelOptions { SingleReader = true });
        var store = _store.RunAsync(events.Reader, stoppingToken);
        try
        {
            // How many queries may be in flight depends on the agent's own connection limit: read it first.
            await _budget.StartAsync(_client.GetAgentConnectionLimitAsync, stoppingToken).ConfigureAwait(false);
            await _watcher.RunAsync(events.Writer, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The host stops on a failed background service; exit non-zero so systemd restarts the bridge.
            Log.PipelineFailed(_logger, e);
            Environment.ExitCode = 1;
            throw;
        }
        finally
        {
            events.Writer.TryComplete();
        }

        try
        {
            await store.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await persisting.ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5201, EventName = "CatalogPipelineFailed", Level = LogLevel.Critical,
            Message = "The Consul watch stopped on an unexpected error; the bridge exits with code 1 so that it is restarted")]
        public static partial void PipelineFailed(ILogger logger, Exception exception);
    }
}
