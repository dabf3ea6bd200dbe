namespace Bridge.Core.Ads;

/// <summary>
/// When a stream is ended for its age (<see cref="AdsOptions.MaxStreamAge"/>). Each stream draws its own limit within
/// ±10% of the setting: proxies that connected together, such as every proxy of a replica that just stopped,
/// would otherwise all reconnect in one burst again one age later; spread over a fifth of the age, they arrive
/// evenly and land on the replicas in proportion.
/// </summary>
internal static class StreamAge
{
    private const double Jitter = 0.1;

    /// <summary>This stream's limit, or zero when streams are not ended for their age.</summary>
    public static TimeSpan Limit(TimeSpan maxStreamAge) =>
        maxStreamAge <= TimeSpan.Zero ? TimeSpan.Zero : maxStreamAge * (1 - Jitter + (2 * Jitter * Random.Shared.NextDouble()));

    /// <summary>What besides a request or a snapshot wakes the serving loop: the first-sync deadline while not ready, and the age limit.</summary>
    public static Task? WakeAlsoOn(bool ready, Task syncDeadline, Task? aged) =>
        ready ? aged : aged is null ? syncDeadline : Task.WhenAny(syncDeadline, aged);
}
