namespace Bridge.Core.Catalog;

/// <summary>How catalog changes are batched before they reach the proxies. Bound from the <c>Catalog</c> section.</summary>
public sealed record CatalogOptions
{
    public const string SectionName = "Catalog";

    /// <summary>
    /// A change that arrives after this long without publishing goes out at once; changes arriving closer together
    /// than this are merged until the catalog is quiet for this long.
    /// </summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Upper bound on how long a merged burst may be held back: a flapping service cannot delay others longer.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long start-up waits for services Consul lists but will not answer for (a persistent bad answer, a
    /// per-service 403) before serving every other service without them; they are then reported by name.
    /// </summary>
    public TimeSpan SyncTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether an answer removing most of what is served is held back as suspect (see the other RemovalGuard settings).</summary>
    public bool RemovalGuard { get; init; } = true;

    /// <summary>The share of served services, or of served instances, above which one answer's removals are suspect.</summary>
    public double RemovalGuardShare { get; init; } = 0.5;

    /// <summary>Removing this many services or fewer is never suspect, whatever the share.</summary>
    public int RemovalGuardMinServices { get; init; } = 5;

    /// <summary>Removing this many instances or fewer is never suspect, whatever the share.</summary>
    public int RemovalGuardMinInstances { get; init; } = 10;

    /// <summary>A suspect removal Consul keeps saying for this long is applied; an operator can confirm it sooner.</summary>
    public TimeSpan RemovalGuardConfirmAfter { get; init; } = TimeSpan.FromMinutes(5);
}
