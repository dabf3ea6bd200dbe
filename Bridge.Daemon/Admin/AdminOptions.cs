namespace Bridge.Daemon.Admin;

/// <summary>The admin HTTP endpoint (health, readiness, debug views, metrics). Bound from the <c>Admin</c> section.</summary>
public sealed record AdminOptions
{
    public const string SectionName = "Admin";

    /// <summary>Address and port of the admin endpoints; localhost unless an operator decides otherwise.</summary>
    public string Listen { get; init; } = "127.0.0.1:19000";
}
