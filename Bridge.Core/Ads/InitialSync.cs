using Bridge.Core.Xds;
using Grpc.Core;

namespace Bridge.Core.Ads;

/// <summary>
/// No proxy is answered from an empty or partial catalog. A stream that arrives before the first full sync is
/// registered (operators see it waiting) but answered nothing; if no full catalog exists within
/// <see cref="AdsOptions.InitialSyncTimeout"/> it is told UNAVAILABLE, so the proxy keeps its configuration and retries.
/// </summary>
internal static class InitialSync
{
    public static Task Deadline(XdsCache cache, AdsOptions options, CancellationToken ct) =>
        cache.WhenReady.IsCompleted ? Task.CompletedTask : Task.Delay(options.InitialSyncTimeout, ct);

    public static void ThrowIfLate(XdsCache cache, Task deadline, ILogger logger, string peer, AdsOptions options)
    {
        if (!cache.Current.Ready && deadline.IsCompletedSuccessfully)
        {
            AdsLog.NotSyncedInTime(logger, peer, options.InitialSyncTimeout.TotalSeconds);
            throw new RpcException(new Status(StatusCode.Unavailable, "the bridge has not yet read the full catalog from Consul; retry later"));
        }
    }
}
