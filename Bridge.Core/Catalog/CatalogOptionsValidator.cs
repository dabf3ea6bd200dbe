using Bridge.Core.Configuration;

namespace Bridge.Core.Catalog;

/// <summary>Checks the <c>Catalog</c> section once bound.</summary>
public sealed class CatalogOptionsValidator() : SectionValidator<CatalogOptions>(CatalogOptions.SectionName)
{
    protected override void Check(CatalogOptions o, SettingFailures failures)
    {
        if (o.QuietPeriod < TimeSpan.Zero || o.MaxDelay < o.QuietPeriod || o.MaxDelay > TimeSpan.FromSeconds(10))
        {
            failures.Add(nameof(o.MaxDelay), "QuietPeriod must be at least 0 and MaxDelay between QuietPeriod and 00:00:10");
        }

        if (o.SyncTimeout < TimeSpan.Zero || o.SyncTimeout > TimeSpan.FromHours(1))
        {
            failures.Add(nameof(o.SyncTimeout), $"{o.SyncTimeout} is out of range; accepted: 00:00:00 to 01:00:00");
        }

        if (!(o.RemovalGuardShare > 0 && o.RemovalGuardShare < 1))
        {
            failures.Add(nameof(o.RemovalGuardShare),
                $"{o.RemovalGuardShare} is out of range; accepted: above 0 and below 1 (0.5 = more than half); to turn the guard off set Catalog:RemovalGuard to false");
        }

        if (o.RemovalGuardMinServices < 0 || o.RemovalGuardMinInstances < 0)
        {
            failures.Add(nameof(o.RemovalGuardMinServices), "RemovalGuardMinServices and RemovalGuardMinInstances must be 0 or more");
        }

        if (o.RemovalGuardConfirmAfter < TimeSpan.Zero || o.RemovalGuardConfirmAfter > TimeSpan.FromDays(7))
        {
            failures.Add(nameof(o.RemovalGuardConfirmAfter), $"{o.RemovalGuardConfirmAfter} is out of range; accepted: 00:00:00 to 7.00:00:00");
        }
    }
}
