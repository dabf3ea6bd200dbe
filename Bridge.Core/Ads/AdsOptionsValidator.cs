using Bridge.Core.Configuration;

namespace Bridge.Core.Ads;

/// <summary>Checks the <c>Ads</c> section once bound (its TLS keys and its Authorization subsection have their own).</summary>
public sealed class AdsOptionsValidator() : SectionValidator<AdsOptions>(AdsOptions.SectionName)
{
    protected override void Check(AdsOptions o, SettingFailures failures)
    {
        failures.RequireListenAddress(nameof(o.Listen), o.Listen, "127.0.0.1:18000 or [::1]:18000");

        foreach (var (node, kind) in o.ClientKindOverrides)
        {
            if (!ClientIdentity.TryParseKind(kind, out _))
            {
                failures.AddKey($"{AdsOptions.SectionName}:{nameof(o.ClientKindOverrides)}:{node}", $"'{kind}' is not accepted; accepted values: envoy, grpc");
            }
        }

        if (o.MaxResourceNamesPerRequest < 1 || o.RequestQueueLength < 1)
        {
            failures.Add(nameof(o.MaxResourceNamesPerRequest), "limits must be at least 1");
        }

        if (o.MaxStreams < 1 || o.MaxStreamsPerPeer < 1)
        {
            failures.Add(nameof(o.MaxStreams), "MaxStreams and MaxStreamsPerPeer must be at least 1");
        }

        if (o.InitialSyncTimeout <= TimeSpan.Zero)
        {
            failures.Add(nameof(o.InitialSyncTimeout), $"{o.InitialSyncTimeout} must be positive, e.g. 00:01:00");
        }

        if (o.MaxStreamAge != TimeSpan.Zero && (o.MaxStreamAge < AdsOptions.MinStreamAge || o.MaxStreamAge > AdsOptions.MaxStreamAgeLimit))
        {
            failures.Add(nameof(o.MaxStreamAge),
                $"{o.MaxStreamAge} is out of range; accepted values: 00:00:00 (off) or 00:00:01 to 7.00:00:00, e.g. 00:30:00");
        }
    }
}
