namespace Bridge.Daemon.Security;

/// <summary>Security events of the daemon. Event ids are part of the operator interface: never renumber or reuse one.</summary>
internal static partial class SecurityLog
{
    public const string Category = "Bridge.Daemon.Security";

    [LoggerMessage(EventId = 5001, EventName = "ConsulVerificationDisabled", Level = LogLevel.Warning,
        Message = "Consul's TLS certificate is not verified ({Setting}): whoever sits between the bridge and {Address} can read the ACL token and forge the catalog")]
    public static partial void ConsulVerificationDisabled(ILogger logger, string setting, string address);

    [LoggerMessage(EventId = 5002, EventName = "ConsulRefusedHttp2", Level = LogLevel.Warning,
        Message = "Consul at {Address} answered over HTTP/{Version}, not HTTP/2: each query needs a connection of its own and at most {Connections} are opened (Consul:MaxConcurrentQueries), not the {Limit} multiplexed queries HTTP/2 allows (Consul:MaxConcurrentQueriesHttp2); queries now take turns on those connections (event 1021 says how long a change may wait)")]
    public static partial void ConsulRefusedHttp2(ILogger logger, string address, string version, int connections, int limit);

    [LoggerMessage(EventId = 5003, EventName = "ConsulTokenInCleartext", Level = LogLevel.Warning,
        Message = "The Consul ACL token travels unencrypted to {Address}, which is not a loopback address; use https:// (Consul:Address, Consul:CaFile)")]
    public static partial void ConsulTokenInCleartext(ILogger logger, string address);

    [LoggerMessage(EventId = 5004, EventName = "ConsulTlsSettingsUnused", Level = LogLevel.Warning,
        Message = "{Settings} set, but Consul is reached over plain HTTP at {Address}: they are not used")]
    public static partial void ConsulTlsSettingsUnused(ILogger logger, string settings, string address);

    [LoggerMessage(EventId = 5005, EventName = "AdsOpenToNetwork", Level = LogLevel.Warning,
        Message = "ADS listens on {Listen}, not a loopback address, and authenticates no client (no Ads:ClientCaFile, no Ads:Authorization:Tokens): any host that reaches it reads the whole catalog")]
    public static partial void AdsOpenToNetwork(ILogger logger, string listen);

    [LoggerMessage(EventId = 5006, EventName = "AdsRulesUnauthenticated", Level = LogLevel.Warning,
        Message = "ADS listens on {Listen}, not a loopback address, and checks only what a proxy says about itself (Ads:Authorization:AllowedNodeIds, AllowedClusters): any host that reaches it can claim an allowed node id; add Ads:Authorization:Tokens or Ads:ClientCaFile")]
    public static partial void AdsRulesUnauthenticated(ILogger logger, string listen);

    [LoggerMessage(EventId = 5007, EventName = "AdminOpenToNetwork", Level = LogLevel.Warning,
        Message = "Admin endpoints listen on {Listen}, not a loopback address: /debug/* shows the catalog and every connected proxy to any host that reaches it")]
    public static partial void AdminOpenToNetwork(ILogger logger, string listen);

    [LoggerMessage(EventId = 5008, EventName = "AdsSecurity", Level = LogLevel.Information,
        Message = "ADS on {Listen}: {Transport}, {ClientCertificates}, {Authorization}")]
    public static partial void AdsSecurity(ILogger logger, string listen, string transport, string clientCertificates, string authorization);

    [LoggerMessage(EventId = 5009, EventName = "ConsulTransport", Level = LogLevel.Information,
        Message = "Consul at {Address}: {Transport}, up to {MaxQueries} queries in flight, ACL token {Token}")]
    public static partial void ConsulTransport(ILogger logger, string address, string transport, int maxQueries, string token);

    [LoggerMessage(EventId = 5010, EventName = "AdsClientCertificateRefused", Level = LogLevel.Warning,
        Message = "ADS connection from {Peer} refused: its client certificate {Subject} is missing, or not signed by Ads:ClientCaFile for client use")]
    public static partial void AdsClientCertificateRefused(ILogger logger, string peer, string subject);

    [LoggerMessage(EventId = 5011, EventName = "CertificatesReloaded", Level = LogLevel.Information,
        Message = "Certificate files changed and were reloaded: {Files}; new connections use them")]
    public static partial void CertificatesReloaded(ILogger logger, string files);

    [LoggerMessage(EventId = 5012, EventName = "CertificateReloadFailed", Level = LogLevel.Warning,
        Message = "Certificate files changed but cannot be used, the previous certificates stay: {Files}: {Reason}")]
    public static partial void CertificateReloadFailed(ILogger logger, string files, string reason);
}
