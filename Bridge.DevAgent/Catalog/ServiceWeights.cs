namespace Bridge.DevAgent.Catalog;

/// <summary>DNS SRV weights of a service instance; Consul defaults both to 1.</summary>
/// <param name="Passing">Weight while the instance is passing.</param>
/// <param name="Warning">Weight while the instance is warning.</param>
public sealed record ServiceWeights(int Passing, int Warning)
{
    internal static ServiceWeights Default { get; } = new(1, 1);
}
