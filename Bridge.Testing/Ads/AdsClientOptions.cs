namespace Bridge.Testing.Ads;

/// <summary>How an <see cref="AdsClient"/> or <see cref="DeltaAdsClient"/> behaves beyond what its caller asks.</summary>
public sealed record AdsClientOptions
{
    /// <summary>The defaults: nothing is sent unless the caller sends it.</summary>
    public static AdsClientOptions Default { get; } = new();

    /// <summary>
    /// ACK every response as soon as it is read, as a healthy proxy does. Meant for load runs; protocol tests
    /// usually ACK or NACK by hand to control what the server sees.
    /// </summary>
    public bool AutoAck { get; init; }
}
