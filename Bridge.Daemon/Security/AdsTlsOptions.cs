namespace Bridge.Daemon.Security;

/// <summary>TLS of the ADS listener. Bound from the <c>Ads</c> section, beside <see cref="Bridge.Core.Ads.AdsOptions"/>.</summary>
public sealed record AdsTlsOptions
{
    /// <summary>PEM certificate of the ADS server (then its intermediates); with <see cref="TlsKeyFile"/>, turns TLS on.</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>PEM CAs that sign proxies' client certificates; set, every client must present one they signed (mutual TLS).</summary>
    public string? ClientCaFile { get; init; }

    internal bool Enabled => !string.IsNullOrEmpty(TlsCertFile);

    internal bool RequiresClientCertificate => Enabled && !string.IsNullOrEmpty(ClientCaFile);
}
