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
}
