using Bridge.Core.Ads;
using Bridge.Core.Configuration;

namespace Bridge.Daemon.Security;

/// <summary>
/// Checks the ADS listener's TLS keys once bound: which go together. Their files are read by whoever loads the
/// settings, after this passes.
/// </summary>
internal sealed class AdsTlsOptionsValidator() : SectionValidator<AdsTlsOptions>(AdsOptions.SectionName)
{
    protected override void Check(AdsTlsOptions o, SettingFailures failures)
    {
        if (string.IsNullOrEmpty(o.TlsCertFile) != string.IsNullOrEmpty(o.TlsKeyFile))
        {
            failures.Add(string.IsNullOrEmpty(o.TlsKeyFile) ? nameof(o.TlsKeyFile) : nameof(o.TlsCertFile),
                "Ads:TlsCertFile and Ads:TlsKeyFile go together: set both to serve ADS over TLS, or neither");
        }
        else if (!string.IsNullOrEmpty(o.ClientCaFile) && !o.Enabled)
        {
            failures.Add(nameof(o.ClientCaFile), "client certificates need TLS: set Ads:TlsCertFile and Ads:TlsKeyFile too");
        }
    }
}
