using Bridge.Core.Configuration;
using Microsoft.Extensions.Options;

namespace Bridge.Core.Xds;

/// <summary>Checks the <c>Xds</c> section once bound.</summary>
public sealed class XdsOptionsValidator : IValidateOptions<XdsOptions>
{
    public ValidateOptionsResult Validate(string? name, XdsOptions o)
    {
        var failures = new SettingFailures(XdsOptions.SectionName);
        if (string.IsNullOrWhiteSpace(o.ZoneNodeMetaKey))
        {
            failures.Add(nameof(o.ZoneNodeMetaKey), "must name a node-meta key, e.g. zone");
        }

        if (o.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add(nameof(o.ConnectTimeout), "must be positive, e.g. 00:00:05");
        }

        return failures.Result;
    }
}
