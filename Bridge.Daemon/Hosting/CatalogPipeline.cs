using Bridge.Core;

namespace Bridge.Daemon.Hosting;

/// <summary>
/// Runs Core's pipeline (state file, Consul watch, catalog) for the lifetime of the host. A failure of it is fatal:
/// the daemon then exits 1 so that systemd restarts it.
/// </summary>
internal sealed partial class CatalogPipeline : BackgroundService
{
    private readonly BridgePipeline _pipeline;
    private readonly ILogger<CatalogPipeline> _logger;

    public CatalogPipeline(BridgePipeline pipeline, ILogger<CatalogPipeline> logger)
    {
        _pipeline = pipeline;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _pipeline.RunAsync(stoppingToken).ConfigureAwait(false);
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
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5201, EventName = "CatalogPipelineFailed", Level = LogLevel.Critical,
            Message = "The Consul watch stopped on an unexpected error; the bridge exits with code 1 so that it is restarted")]
        public static partial void PipelineFailed(ILogger logger, Exception exception);
    }
}
