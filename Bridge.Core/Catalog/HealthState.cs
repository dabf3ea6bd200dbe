namespace Bridge.Core.Catalog;

/// <summary>Consul's aggregate status of an instance, over its node and service checks.</summary>
public enum HealthState
{
    Passing,
    Warning,
    Critical,
    Maintenance,

    /// <summary>A check reported a status Consul does not define; never treated as healthy.</summary>
    Unknown,
}
