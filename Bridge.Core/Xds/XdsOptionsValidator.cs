using Bridge.Core.Configuration;

namespace Bridge.Core.Xds;

/// <summary>Checks the <c>Xds</c> section once bound.</summary>
public sealed class XdsOptionsValidator() : SectionValidator<XdsOptions>(XdsOptions.SectionName)
{
    protected override void Check(XdsOptions o, SettingFailures failures)
    {
        if (string.IsNullOrWhiteSpace(o.ZoneNodeMetaKey))
        {
            failures.Add(nameof(o.ZoneNodeMetaKey), "must name a node-meta key, e.g. zone");
        }

        if (o.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add(nameof(o.ConnectTimeout), "must be positive, e.g. 00:00:05");
        }
    }
}
