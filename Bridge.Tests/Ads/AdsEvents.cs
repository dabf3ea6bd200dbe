namespace Bridge.Tests.Ads;

/// <summary>Event ids of the ADS log (Bridge.Core/Ads/AdsLog.cs), as operators see them.</summary>
internal static class AdsEvents
{
    public const int StreamOpened = 4001;
    public const int StreamClosed = 4002;
    public const int Ack = 4003;
    public const int Nack = 4004;
    public const int UnknownTypeUrl = 4005;
    public const int StaleNonceIgnored = 4006;
    public const int RequestRejected = 4008;
}
