using Bridge.Core.Ads;
using Bridge.Core.Configuration;
using Microsoft.Extensions.Options;

namespace Bridge.Daemon.Security;

/// <summary>
/// Checks the ADS listener's TLS keys once bound: which go together. Their files are read by whoever loads the
/// settings, after this passes.
/// </summary>
internal sealed class AdsTlsOptionsValidator : IValidateOptions<AdsTlsOptions>
{
    public ValidateOptionsResult Validate(string? name, AdsTlsOptions o)
    {
        var failures = new SettingFailures(AdsOptions.SectionName);
        if (string.IsNullOrEmpty(o.TlsCertFile) != string.IsNullOrEmpty(o.TlsKeyFile))
        {
            failures.Add(string.IsNullOrEmpty(o.TlsKeyFile) ? nameof(o.TlsKeyFile) : nameof(o.TlsCertFile),
                "Ads:TlsCertFile and Ads:TlsKeyFile go together: set both to serve ADS over TLS, or neither");
        }
        else if (!string.IsNullOrEmpty(o.ClientCaFile) && !o.Enabled)
        {
            failures.Add(nameof(o.ClientCaFile), "client certificates need TLS: set Ads:TlsCertFile and Ads:TlsKeyFile too");
        }

        return failures.Result;
    }
}
