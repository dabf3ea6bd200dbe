using Bridge.Daemon.Configuration;

namespace Bridge.Daemon.Hosting;

/// <summary>Placeholder until the dev agent project lands: --dev reports that it is not available yet.</summary>
internal sealed class DevMode : IAsyncDisposable
{
    public BridgeSettings Settings { get; } = null!;

    public static async Task<DevMode?> StartAsync(BridgeSettings settings)
    {
        _ = settings;
        await Console.Error.WriteLineAsync("consul-xds-bridge --dev: the embedded dev agent is not available in this build").ConfigureAwait(false);
        return null;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
