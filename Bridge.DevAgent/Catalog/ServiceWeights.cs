namespace Bridge.DevAgent.Catalog;

/// <summary>
/// DNS SRV weights of a service instance; Consul defaults both to 1. Held as 64-bit, as Go's <c>int</c> is, so
/// any number a client sends is read and judged by Consul's rule (1 to 65535 passing, 0 to 65535 warning).
/// </summary>
/// <param name="Passing">Weight while the instance is passing.</param>
/// <param name="Warning">Weight while the instance is warning.</param>
public sealed record ServiceWeights(long Passing, long Warning)
{
    internal static ServiceWeights Default { get; } = new(1, 1);
}
