namespace Bridge.Daemon.Configuration;

/// <summary>Where the last good catalog is kept across restarts. Bound from the <c>State</c> section.</summary>
public sealed record StateOptions
{
    public const string SectionName = "State";

    /// <summary>
    /// The state file; empty means <c>$STATE_DIRECTORY/catalog.json</c> under systemd's StateDirectory=, and no
    /// state file at all when that is not set either.
    /// </summary>
    public string Path { get; init; } = "";

    /// <summary>Writes happen at most this often; the newest catalog wins.</summary>
    public TimeSpan WriteInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A state file saved longer ago than this is not served at start: its endpoints are too old to trust.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    internal string? ResolvedPath =>
        !string.IsNullOrWhiteSpace(Path) ? Path
        : Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } dir ? System.IO.Path.Combine(dir.Split(':')[0], "catalog.json")
        : null;
}
